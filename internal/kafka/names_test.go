package kafka

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

func TestValidateTopicName(t *testing.T) {
	tests := []struct {
		name string
		ok   bool
	}{
		{"mssql.northwind.dbo.Order_Details", true},
		{"a-b_c.D9", true},
		{strings.Repeat("x", 249), true},
		{strings.Repeat("x", 250), false},
		{"", false},
		{".", false},
		{"..", false},
		{"...", true}, // Kafka allows it; only "." and ".." are reserved
		{"mssql.northwind.dbo.Order Details", false},
		{"mssql.db.dbo.Ünïcode", false},
		{"a/b", false},
		{"a[b]", false},
		{"it's", false},
	}
	for _, tt := range tests {
		err := ValidateTopicName(tt.name)
		if (err == nil) != tt.ok {
			t.Errorf("ValidateTopicName(%q) = %v, want ok=%v", tt.name, err, tt.ok)
		}
		if err != nil && !errors.Is(err, ErrInvalidTopicName) {
			t.Errorf("ValidateTopicName(%q) = %v, does not wrap ErrInvalidTopicName", tt.name, err)
		}
	}
}

func TestValidateTopicPrefix(t *testing.T) {
	for _, p := range []string{"mssql", "prod.sqlserver-1", strings.Repeat("p", MaxTopicPrefixLen)} {
		if err := ValidateTopicPrefix(p); err != nil {
			t.Errorf("ValidateTopicPrefix(%q) = %v, want nil", p, err)
		}
	}
	for _, p := range []string{"", "my prefix", "präfix", "a/b", strings.Repeat("p", MaxTopicPrefixLen+1)} {
		if err := ValidateTopicPrefix(p); !errors.Is(err, ErrInvalidTopicName) {
			t.Errorf("ValidateTopicPrefix(%q) = %v, want ErrInvalidTopicName", p, err)
		}
	}
}

func TestChangeTopicName(t *testing.T) {
	long := strings.Repeat("L", 128)
	tests := []struct {
		parts []string
		want  string
	}{
		{[]string{"dtstestdata", "dbo", "customer"}, "mssql.dtstestdata.dbo.customer"},
		{[]string{"northwind", "dbo", "Order Details"}, "mssql.northwind.dbo.Order_Details"},
		{[]string{"northwind", "dbo", "Order_Details"}, "mssql.northwind.dbo.Order_Details"},
		{[]string{"db", "dbo", "Ünïcode Täble"}, "mssql.db.dbo._n_code_T_ble"},
		{[]string{"db", "sales.eu", "a.b"}, "mssql.db.sales.eu.a.b"},
		{[]string{"db", "dbo", "x]y [z] it's \"q\" 😀"}, "mssql.db.dbo.x_y__z__it_s__q___"},
		{[]string{"db", "dbo", "T"}, "mssql.db.dbo.T"}, // case is kept: Kafka names are case-sensitive
		{[]string{"db", "dbo", "t"}, "mssql.db.dbo.t"},
		{[]string{"odd db", "dbo", "Product-ID"}, "mssql.odd_db.dbo.Product-ID"},
		// 6+1+2+1+3+1+128 = 142: fits.
		{[]string{"db", "dbo", long}, "mssql.db.dbo." + long},
		// 6+1+128+1+128+1+128 > 249: the first 240 characters, '_' and a hash.
		{[]string{long, long, long}, ("mssql." + long + "." + long + "." + long)[:240] + "_62b9db06"},
	}
	for _, tt := range tests {
		got := ChangeTopicName("mssql", tt.parts...)
		if got != tt.want {
			t.Errorf("ChangeTopicName(mssql, %q) = %q, want %q", tt.parts, got, tt.want)
		}
		if err := ValidateTopicName(got); err != nil {
			t.Errorf("ChangeTopicName(mssql, %q): %v", tt.parts, err)
		}
	}
}

// Two long names that become the same after the replacement keep apart:
// the hash is of the original names.
func TestChangeTopicNameHashesOriginals(t *testing.T) {
	long := strings.Repeat("L", 120)
	a := ChangeTopicName("mssql", "db", long+" x", long)
	b := ChangeTopicName("mssql", "db", long+"_x", long)
	if a == b || len(a) != MaxTopicNameLen || len(b) != MaxTopicNameLen {
		t.Fatalf("shortened names %q and %q: want distinct, %d characters", a, b, MaxTopicNameLen)
	}
	if a[:240] != b[:240] {
		t.Fatalf("the kept parts differ: %q, %q", a[:240], b[:240])
	}
}

func TestTopicCollisionKey(t *testing.T) {
	if TopicCollisionKey("p.db.dbo.a.b") != TopicCollisionKey("p.db.dbo.a_b") {
		t.Error("a.b and a_b must collide, as in Kafka")
	}
	if TopicCollisionKey("p.db.dbo.T") == TopicCollisionKey("p.db.dbo.t") {
		t.Error("T and t must not collide: Kafka topic names are case-sensitive")
	}
}

// FuzzChangeTopicName: whatever the identifiers, the topic is valid for
// Kafka, stable, and starts with the prefix and a dot (the consumer
// subscribes by it).
func FuzzChangeTopicName(f *testing.F) {
	f.Add("northwind", "dbo", "Order Details")
	f.Add("db", "sales.eu", "a.b")
	f.Add(strings.Repeat("ü", 128), strings.Repeat("x", 128), strings.Repeat("]", 128))
	f.Fuzz(func(t *testing.T, db, schema, table string) {
		for _, prefix := range []string{"mssql", strings.Repeat("p", MaxTopicPrefixLen)} {
			got := ChangeTopicName(prefix, db, schema, table)
			if err := ValidateTopicName(got); err != nil {
				t.Fatalf("ChangeTopicName(%q, %q, %q, %q): %v", prefix, db, schema, table, err)
			}
			if !strings.HasPrefix(got, prefix+".") {
				t.Fatalf("ChangeTopicName(%q, …) = %q lost the prefix", prefix, got)
			}
			if again := ChangeTopicName(prefix, db, schema, table); again != got {
				t.Fatalf("ChangeTopicName is not stable: %q then %q", got, again)
			}
		}
	})
}

// The embedded broker refuses what real Kafka refuses, with Kafka's error
// code, and still creates legal topics.
func TestBrokerRefusesIllegalTopicNames(t *testing.T) {
	b := startBroker(t)
	ctx := t.Context()
	adm := kadm.NewClient(newClient(t, b))
	for _, name := range []string{"mssql.northwind.dbo.Order Details", "mssql.db.dbo.Ünïcode", strings.Repeat("x", 250), ".", ".."} {
		resp, err := adm.CreateTopic(ctx, 1, 1, nil, name)
		if err == nil {
			err = resp.Err
		}
		if !errors.Is(err, kerr.InvalidTopicException) {
			t.Errorf("create topic %q: %v, want INVALID_TOPIC_EXCEPTION", name, err)
		}
	}
	ok := strings.Repeat("x", 249)
	if resp, err := adm.CreateTopic(ctx, 1, 1, nil, ok); err != nil || resp.Err != nil {
		t.Fatalf("create a legal 249-character topic: %v %v", err, resp.Err)
	}
	// Kafka's own '.'/'_' collision rule holds too (kfake has it).
	mustEnsure(t, b, TopicSpec{Name: "p.a.b", Partitions: 1})
	resp, err := adm.CreateTopic(ctx, 1, 1, nil, "p.a_b")
	if err == nil {
		err = resp.Err
	}
	if !errors.Is(err, kerr.InvalidTopicException) {
		t.Errorf("create p.a_b next to p.a.b: %v, want INVALID_TOPIC_EXCEPTION", err)
	}
	topics, err := adm.ListTopics(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range topics.Names() {
		if err := ValidateTopicName(name); err != nil {
			t.Errorf("the broker holds topic %q: %v", name, err)
		}
	}
}

// Producing to a topic that does not exist never creates it, even when the
// client asks for automatic creation: CreateTopics, checked above, is the
// only way in.
func TestBrokerDoesNotAutoCreateTopics(t *testing.T) {
	b := startBroker(t)
	cl := newClient(t, b, kgo.AllowAutoTopicCreation(), kgo.RecordDeliveryTimeout(2*time.Second))
	err := cl.ProduceSync(t.Context(), &kgo.Record{Topic: "bad name", Value: []byte("x")}).FirstErr()
	if err == nil {
		t.Fatal("produce to a missing topic succeeded")
	}
	topics, err := kadm.NewClient(cl).ListTopics(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if topics.Has("bad name") {
		t.Fatalf("the broker created topic \"bad name\" on produce: %v", topics.Names())
	}
}
