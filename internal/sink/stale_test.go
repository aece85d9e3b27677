package sink

import (
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kadm"

	"github.com/mssql2adb/mssql2adb/internal/apply"
)

func TestStaleFindings(t *testing.T) {
	const topic = "mssql.db.dbo.t"
	td := kadm.TopicDetail{Topic: topic, Partitions: kadm.PartitionDetails{0: {}, 1: {}}}
	starts := kadm.ListedOffsets{topic: {0: {Offset: 0}, 1: {Offset: 40}}}
	ends := kadm.ListedOffsets{topic: {0: {Offset: 100}, 1: {Offset: 90}}}
	cur := topicState{id: "new-id", cluster: "c2"}
	for _, tc := range []struct {
		name string
		p    int32
		st   apply.StoredOffset
		want string // substring of the only finding; empty for none
	}{
		{"same topic, in range", 0, apply.StoredOffset{Next: 100, TopicID: "new-id", ClusterID: "c2"}, ""},
		{"stored by an older version, in range", 0, apply.StoredOffset{Next: 50}, ""},
		{"recreated topic", 0, apply.StoredOffset{Next: 10, TopicID: "old-id", ClusterID: "c2"}, "the topic now has id new-id"},
		{"another cluster, no topic ids", 0, apply.StoredOffset{Next: 10, ClusterID: "c1"}, "stored for cluster c1, the consumer now reads cluster c2"},
		{"beyond the end", 0, apply.StoredOffset{Next: 101}, "beyond the partition's end 100"},
		{"records removed", 1, apply.StoredOffset{Next: 39}, "records were removed"},
		{"partition gone", 7, apply.StoredOffset{Next: 1}, "the topic has no partition 7"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := staleFindings(tc.p, tc.st, cur, td, starts, ends, topic)
			if tc.want == "" {
				if len(f) > 0 {
					t.Fatalf("findings %q, want none", f)
				}
				return
			}
			if len(f) != 1 || !strings.Contains(f[0], tc.want) {
				t.Fatalf("findings %q, want one saying %q", f, tc.want)
			}
		})
	}
	err := &StaleStateError{Group: "g", Topic: topic, Findings: []string{"partition 0: x"}}
	for _, want := range []string{topic, "partition 0: x", "STALE_STATE=rebuild", "DELETE FROM"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error does not say %q: %s", want, err)
		}
	}
}
