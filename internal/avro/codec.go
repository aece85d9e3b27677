package avro

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"

	"github.com/twmb/franz-go/pkg/sr"

	"github.com/mssql2adb/mssql2adb/internal/catalog"
	"github.com/mssql2adb/mssql2adb/internal/event"
)

// Codec encodes change events to Kafka keys and values in the Schema
// Registry wire format (magic byte 0, 4-byte big-endian schema id, Avro
// binary), and decodes them back. It registers a table's schemas under the
// subjects <topic>-key and <topic>-value on first use and caches the ids;
// when decoding it fetches writer schemas by id and caches them, with the
// Table rebuilt from each. A Codec is safe for concurrent use.
//
// The Codec remembers each *catalog.Table it encodes by pointer: do not
// change a Table after passing it to Encode; give a changed table (a new
// column, a new capture instance) as a new *catalog.Table.
type Codec struct {
	cl     *sr.Client
	prefix string
	header sr.ConfluentHeader

	mu      sync.Mutex
	encs    map[encKey]*encPlan
	values  map[int]*valueLayout // value schemas by id
	keys    map[[2]int]*keyLayout
	keyText map[int]string // key schema texts by id
	latest  map[string]int // topic → highest value schema id seen

	// beforeColumns, when set, says which columns of a table's before
	// images Decode keeps (see DecodeBefore).
	beforeColumns func(*catalog.Table) []bool
}

// Option configures a Codec.
type Option func(*Codec)

// DecodeBefore makes Decode keep, of each before image, only the columns
// keep marks (by column index) and leave the others nil, read past without
// decoding them; a nil answer keeps them all. A consumer needs of a before
// image only the columns of its target key (to delete a row, or to see that
// an update changed the key), and decoding the rest of an update's before
// image was a fifth of its decoding.
func DecodeBefore(keep func(t *catalog.Table) []bool) Option {
	return func(c *Codec) { c.beforeColumns = keep }
}

type encKey struct {
	topic string
	table *catalog.Table
}

// encPlan is what Encode needs for one table on one topic.
type encPlan struct {
	keyID, valueID int
	plans          []colPlan
	idx            []int // primary-key column indexes, in key order
	// valueSize is the largest value encoded so far (up to maxSizeHint), the
	// capacity a value's buffer starts with: growing it as it fills was a
	// large share of encoding's allocations.
	valueSize atomic.Int64
}

// maxSizeHint bounds encPlan.valueSize: one large value must not make every
// later buffer large.
const maxSizeHint = 4096

// NewCodec returns a Codec that registers and fetches schemas through cl and
// names them with prefix (the topic prefix, as Debezium's topic.prefix).
// Only Encode uses prefix, for the namespace of the schemas it generates;
// Decode takes every name from the writer schema's properties, never from
// the prefix or the topic, so a decoding-only Codec may get any prefix.
func NewCodec(cl *sr.Client, prefix string, opts ...Option) *Codec {
	c := &Codec{
		cl:      cl,
		prefix:  prefix,
		encs:    map[encKey]*encPlan{},
		values:  map[int]*valueLayout{},
		keys:    map[[2]int]*keyLayout{},
		keyText: map[int]string{},
		latest:  map[string]int{},
	}
	for _, o := range opts {
		o(c)
	}
	return c
}

// Encode returns the Kafka key and value of e for topic. The key is the
// primary key of the row (After's, Before's for a delete). For a delete,
// the tombstone that follows it is the same key with a nil value.
func (c *Codec) Encode(ctx context.Context, topic string, e *event.Event) (key, value []byte, err error) {
	if e == nil || e.Table == nil {
		return nil, nil, fmt.Errorf("encode %s: event without a table", topic)
	}
	p, err := c.plan(ctx, topic, e.Table)
	if err != nil {
		return nil, nil, fmt.Errorf("encode %s: %w", topic, err)
	}
	row := e.After
	if e.Op == event.OpDelete {
		row = e.Before
	}
	if len(row) != len(p.plans) {
		return nil, nil, fmt.Errorf("encode %s: table %s: the %q event's row has %d values for %d columns", topic, e.Table.QualifiedName(), e.Op, len(row), len(p.plans))
	}
	kw := writer{b: make([]byte, 0, 32)}
	kw.b, _ = c.header.AppendEncode(kw.b, p.keyID, nil)
	if err := encodeKey(&kw, e.Table, p.plans, p.idx, row); err != nil {
		return nil, nil, fmt.Errorf("encode %s key: %w", topic, err)
	}
	hint := p.valueSize.Load()
	vw := writer{b: make([]byte, 0, max(hint, 256))}
	vw.b, _ = c.header.AppendEncode(vw.b, p.valueID, nil)
	if err := encodeEnvelope(&vw, p.plans, e); err != nil {
		return nil, nil, fmt.Errorf("encode %s value: %w", topic, err)
	}
	if n := int64(len(vw.b)); n > hint && hint < maxSizeHint {
		p.valueSize.Store(min(n, maxSizeHint))
	}
	return kw.b, vw.b, nil
}

// EncodeKey returns the Kafka key of the row whose primary-key values are
// key (in primary-key order, as event.Event.Key returns them), for example
// to write a tombstone or to record a snapshot position.
func (c *Codec) EncodeKey(ctx context.Context, topic string, t *catalog.Table, key event.Row) ([]byte, error) {
	p, err := c.plan(ctx, topic, t)
	if err != nil {
		return nil, fmt.Errorf("encode %s key: %w", topic, err)
	}
	if len(key) != len(p.idx) {
		return nil, fmt.Errorf("encode %s key: table %s has %d primary-key columns, got %d values", topic, t.QualifiedName(), len(p.idx), len(key))
	}
	row := make(event.Row, len(p.plans))
	for i, j := range p.idx {
		row[j] = key[i]
	}
	w := writer{b: make([]byte, 0, 32)}
	w.b, _ = c.header.AppendEncode(w.b, p.keyID, nil)
	if err := encodeKey(&w, t, p.plans, p.idx, row); err != nil {
		return nil, fmt.Errorf("encode %s key: %w", topic, err)
	}
	return w.b, nil
}

// plan returns the cached encoding plan of t on topic, registering the
// table's schemas first if needed.
func (c *Codec) plan(ctx context.Context, topic string, t *catalog.Table) (*encPlan, error) {
	k := encKey{topic, t}
	c.mu.Lock()
	p := c.encs[k]
	c.mu.Unlock()
	if p != nil {
		return p, nil
	}
	ks, err := KeySchema(c.prefix, t)
	if err != nil {
		return nil, err
	}
	vs, err := ValueSchema(c.prefix, t)
	if err != nil {
		return nil, err
	}
	plans, err := planTable(t)
	if err != nil {
		return nil, err
	}
	idx, err := t.KeyIndexes()
	if err != nil {
		return nil, err
	}
	kid, err := c.register(ctx, topic+"-key", ks)
	if err != nil {
		return nil, err
	}
	vid, err := c.register(ctx, topic+"-value", vs)
	if err != nil {
		return nil, err
	}
	p = &encPlan{keyID: kid, valueID: vid, plans: plans, idx: idx}
	c.mu.Lock()
	c.encs[k] = p
	c.keyText[kid] = ks
	c.mu.Unlock()
	return p, nil
}

func (c *Codec) register(ctx context.Context, subject, text string) (int, error) {
	id, err := c.cl.RegisterSchema(ctx, subject, sr.Schema{Schema: text, Type: sr.TypeAvro}, -1, -1)
	if err != nil {
		return 0, fmt.Errorf("register schema under subject %s: %w (a compatibility error means the table changed in a way BACKWARD compatibility forbids, such as a new NOT NULL column)", subject, err)
	}
	return id, nil
}

// Decode returns the event in a Kafka record of topic. A nil or empty value
// is the tombstone that follows a delete: it decodes to an OpDelete event
// whose Before holds the key's values and nil elsewhere, and whose Source is
// zero. The event's Table is shared by every event of the same writer
// schema: do not change it.
func (c *Codec) Decode(ctx context.Context, topic string, key, value []byte) (*event.Event, error) {
	if len(value) == 0 {
		return c.decodeTombstone(ctx, topic, key)
	}
	id, body, err := c.header.DecodeID(value)
	if err != nil {
		return nil, fmt.Errorf("decode %s value: %w: %s", topic, ErrMalformed, headerProblem(value))
	}
	vl, err := c.valueLayout(ctx, topic, id)
	if err != nil {
		return nil, fmt.Errorf("decode %s value: %w", topic, err)
	}
	e, err := decodeEnvelope(&reader{b: body}, vl)
	if err != nil {
		return nil, fmt.Errorf("decode %s value (schema id %d, table %s): %w: %w", topic, id, vl.table.QualifiedName(), ErrMalformed, err)
	}
	return e, nil
}

// schemaError is a failed fetch of schema id for a record of topic. An id
// the registry does not know, while it knows the topic's subject, makes the
// record malformed (it will never decode); a registry that knows neither
// is likely not the producer's (SCHEMA_REGISTRY_URL), and a registry that
// does not answer is an outage: neither is the record's fault.
func (c *Codec) schemaError(ctx context.Context, topic, what string, id int, err error) error {
	var re *sr.ResponseError
	if !errors.As(err, &re) || re.StatusCode != http.StatusNotFound {
		return fmt.Errorf("fetch %sschema id %d from the registry (is it reachable?): %w", what, id, err)
	}
	subject := topic + "-value"
	if _, serr := c.cl.SubjectVersions(ctx, subject); serr != nil {
		return fmt.Errorf("the registry knows neither %sschema id %d nor the subject %s: is SCHEMA_REGISTRY_URL the registry the producer writes to? %w",
			what, id, subject, err)
	}
	return fmt.Errorf("%w: the registry knows no %sschema id %d, though it knows %s: %w", ErrMalformed, what, id, subject, err)
}

func headerProblem(b []byte) string {
	if len(b) < 5 {
		return fmt.Sprintf("record of %d bytes is shorter than the 5-byte Schema Registry header", len(b))
	}
	return fmt.Sprintf("first byte is 0x%02x, not the Schema Registry magic byte 0 (was the record written by another serializer?)", b[0])
}

// valueLayout returns the writer value schema with the given id.
func (c *Codec) valueLayout(ctx context.Context, topic string, id int) (*valueLayout, error) {
	c.mu.Lock()
	vl := c.values[id]
	c.mu.Unlock()
	if vl == nil {
		s, err := c.cl.SchemaByID(ctx, id)
		if err != nil {
			return nil, c.schemaError(ctx, topic, "", id, err)
		}
		if vl, err = c.parseValue(id, s); err != nil {
			return nil, err
		}
	}
	c.mu.Lock()
	if id > c.latest[topic] {
		c.latest[topic] = id
	}
	c.mu.Unlock()
	return vl, nil
}

func (c *Codec) parseValue(id int, s sr.Schema) (*valueLayout, error) {
	if s.Type != sr.TypeAvro {
		return nil, fmt.Errorf("schema id %d is %s, not Avro", id, s.Type)
	}
	vl, err := parseValueLayout(s.Schema)
	if err != nil {
		return nil, fmt.Errorf("schema id %d: %w", id, err)
	}
	if c.beforeColumns != nil {
		if keep := c.beforeColumns(vl.table); len(keep) == len(vl.plans) {
			vl.beforeKeep = keep
		}
	}
	c.mu.Lock()
	c.values[id] = vl
	c.mu.Unlock()
	return vl, nil
}

// decodeTombstone decodes the key of a tombstone with the table of the
// newest value schema known for topic (seen, or the registry's latest).
func (c *Codec) decodeTombstone(ctx context.Context, topic string, key []byte) (*event.Event, error) {
	kid, body, err := c.header.DecodeID(key)
	if err != nil {
		return nil, fmt.Errorf("decode %s tombstone key: %w: %s", topic, ErrMalformed, headerProblem(key))
	}
	c.mu.Lock()
	vid := c.latest[topic]
	vl := c.values[vid]
	c.mu.Unlock()
	if vl == nil {
		ss, err := c.cl.SchemaByVersion(ctx, topic+"-value", -1)
		if err != nil {
			return nil, fmt.Errorf("decode %s tombstone: fetch the latest schema of subject %s-value: %w", topic, topic, err)
		}
		if vl, err = c.parseValue(ss.ID, ss.Schema); err != nil {
			return nil, fmt.Errorf("decode %s tombstone: %w", topic, err)
		}
		vid = ss.ID
		c.mu.Lock()
		if vid > c.latest[topic] {
			c.latest[topic] = vid
		}
		c.mu.Unlock()
	}
	kl, err := c.keyLayout(ctx, kid, vid, vl)
	if err != nil {
		return nil, fmt.Errorf("decode %s tombstone key: %w", topic, err)
	}
	r := &reader{b: body}
	before := make(event.Row, len(vl.plans))
	for i := range kl.plans {
		v, err := decodeColumn(r, &kl.plans[i])
		if err != nil {
			return nil, fmt.Errorf("decode %s tombstone key (schema id %d) column %q: %w: %w", topic, kid, kl.plans[i].col.Name, ErrMalformed, err)
		}
		before[kl.idx[i]] = v
	}
	if r.remaining() != 0 {
		return nil, fmt.Errorf("decode %s tombstone key (schema id %d): %w: %d bytes left after the record", topic, kid, ErrMalformed, r.remaining())
	}
	return &event.Event{Table: vl.table, Op: event.OpDelete, Before: before}, nil
}

func (c *Codec) keyLayout(ctx context.Context, kid, vid int, vl *valueLayout) (*keyLayout, error) {
	c.mu.Lock()
	kl := c.keys[[2]int{kid, vid}]
	text, haveText := c.keyText[kid]
	c.mu.Unlock()
	if kl != nil {
		return kl, nil
	}
	if !haveText {
		s, err := c.cl.SchemaByID(ctx, kid)
		if err != nil {
			return nil, fmt.Errorf("fetch key schema id %d from the registry: %w", kid, err)
		}
		if s.Type != sr.TypeAvro {
			return nil, fmt.Errorf("key schema id %d is %s, not Avro", kid, s.Type)
		}
		text = s.Schema
	}
	kl, err := parseKeyLayout(text, vl.table, vl.plans)
	if err != nil {
		return nil, fmt.Errorf("key schema id %d: %w", kid, err)
	}
	c.mu.Lock()
	c.keys[[2]int{kid, vid}] = kl
	c.keyText[kid] = text
	c.mu.Unlock()
	return kl, nil
}

// ErrMalformed is wrapped by Decode's errors about the record's bytes: a bad
// header or a body that does not match its writer schema. Such a record will
// never decode; other errors (the registry unreachable) may pass on retry.
var ErrMalformed = errors.New("malformed record")
