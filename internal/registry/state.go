package registry

import (
	"encoding/json"
	"fmt"
	"sort"
)

// version is one version of a subject.
type version struct {
	version int
	id      int
	deleted bool
}

// subjectState is what the registry knows of one subject.
type subjectState struct {
	versions []version // ascending by version number
	level    string    // subject-level compatibility, "" when unset
}

func (s *subjectState) find(v int) (int, bool) {
	i := sort.Search(len(s.versions), func(i int) bool { return s.versions[i].version >= v })
	return i, i < len(s.versions) && s.versions[i].version == v
}

// live returns the versions not soft-deleted, or all of them.
func (s *subjectState) live(withDeleted bool) []version {
	out := make([]version, 0, len(s.versions))
	for _, v := range s.versions {
		if withDeleted || !v.deleted {
			out = append(out, v)
		}
	}
	return out
}

// latest returns the newest version not soft-deleted.
func (s *subjectState) latest() (version, bool) {
	for i := len(s.versions) - 1; i >= 0; i-- {
		if !s.versions[i].deleted {
			return s.versions[i], true
		}
	}
	return version{}, false
}

// state is the registry's view of the log, rebuilt by applying it.
type state struct {
	byID     map[int]*parsedSchema
	byCanon  map[string]int
	subjects map[string]*subjectState
	global   string // global compatibility level, "" when unset
	maxID    int
}

func newState() *state {
	return &state{
		byID:     map[int]*parsedSchema{},
		byCanon:  map[string]int{},
		subjects: map[string]*subjectState{},
	}
}

// apply folds one log record into the state. Records are assignments
// keyed like the topic, so applying one twice changes nothing.
func (st *state) apply(r logRecord) error {
	var k recordKey
	if err := json.Unmarshal(r.Key, &k); err != nil {
		return fmt.Errorf("key %q: %w", r.Key, err)
	}
	switch k.KeyType {
	case keySchema:
		return st.applySchema(k, r.Value)
	case keyConfig:
		return st.applyConfig(k, r.Value)
	default:
		return nil // other record types (NOOP, MODE, ...) carry nothing we use
	}
}

func (st *state) applySchema(k recordKey, value []byte) error {
	if k.Subject == "" || k.Version < 1 {
		return fmt.Errorf("schema key without subject or version: %+v", k)
	}
	sub := st.subjects[k.Subject]
	if value == nil {
		if sub != nil {
			if i, ok := sub.find(k.Version); ok {
				sub.versions = append(sub.versions[:i], sub.versions[i+1:]...)
			}
			if len(sub.versions) == 0 && sub.level == "" {
				delete(st.subjects, k.Subject)
			}
		}
		return nil
	}
	var v schemaValue
	if err := json.Unmarshal(value, &v); err != nil {
		return fmt.Errorf("schema %s version %d: %w", k.Subject, k.Version, err)
	}
	if v.ID < 1 {
		return fmt.Errorf("schema %s version %d has id %d", k.Subject, k.Version, v.ID)
	}
	if _, ok := st.byID[v.ID]; !ok {
		ps, err := parseAvro(v.Schema)
		if err != nil {
			return fmt.Errorf("schema id %d: %w", v.ID, err)
		}
		st.byID[v.ID] = ps
		if _, taken := st.byCanon[ps.canon]; !taken {
			st.byCanon[ps.canon] = v.ID
		}
	}
	st.maxID = max(st.maxID, v.ID)
	if sub == nil {
		sub = &subjectState{}
		st.subjects[k.Subject] = sub
	}
	ver := version{version: k.Version, id: v.ID, deleted: v.Deleted}
	if i, ok := sub.find(k.Version); ok {
		sub.versions[i] = ver
	} else {
		sub.versions = append(sub.versions, version{})
		copy(sub.versions[i+1:], sub.versions[i:])
		sub.versions[i] = ver
	}
	return nil
}

func (st *state) applyConfig(k recordKey, value []byte) error {
	level := ""
	if value != nil {
		var c configValue
		if err := json.Unmarshal(value, &c); err != nil {
			return fmt.Errorf("config %q: %w", k.Subject, err)
		}
		l, ok := normaliseLevel(c.CompatibilityLevel)
		if !ok {
			return fmt.Errorf("config %q: unknown compatibility level %q", k.Subject, c.CompatibilityLevel)
		}
		level = l
	}
	if k.Subject == "" {
		st.global = level
		return nil
	}
	sub := st.subjects[k.Subject]
	if sub == nil {
		if level == "" {
			return nil
		}
		sub = &subjectState{}
		st.subjects[k.Subject] = sub
	}
	sub.level = level
	return nil
}
