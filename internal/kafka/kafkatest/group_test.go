package kafkatest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

// killable dials for one group member; kill cuts its connections and
// refuses new ones, as a kill -9 of its process would: the member never
// leaves the group, the broker finds out by itself.
type killable struct {
	mu    sync.Mutex
	dead  bool
	conns []net.Conn
}

func (k *killable) dial(ctx context.Context, network, host string) (net.Conn, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.dead {
		return nil, fmt.Errorf("killed")
	}
	var d net.Dialer
	c, err := d.DialContext(ctx, network, host)
	if err == nil {
		k.conns = append(k.conns, c)
	}
	return c, err
}

func (k *killable) kill() {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.dead = true
	for _, c := range k.conns {
		_ = c.Close()
	}
}

// member consumes topic in group until killed, reporting each record's
// value on seen.
type member struct {
	k  *killable
	cl *kgo.Client
}

func startMember(t *testing.T, addrs []string, group, topic string, seen chan<- string) *member {
	t.Helper()
	k := &killable{}
	cl, err := kgo.NewClient(kgo.SeedBrokers(addrs...), kgo.Dialer(k.dial),
		kgo.ConsumerGroup(group), kgo.ConsumeTopics(topic),
		kgo.SessionTimeout(time.Second), kgo.HeartbeatInterval(200*time.Millisecond), kgo.RebalanceTimeout(3*time.Second),
		kgo.RequestTimeoutOverhead(time.Second), kgo.RetryBackoffFn(func(int) time.Duration { return 100 * time.Millisecond }),
		kgo.BlockRebalanceOnPoll(), kgo.DisableAutoCommit())
	if err != nil {
		t.Fatal(err)
	}
	m := &member{k: k, cl: cl}
	go func() {
		for {
			fs := cl.PollFetches(context.Background())
			if fs.IsClientClosed() {
				return
			}
			fs.EachRecord(func(r *kgo.Record) {
				select {
				case seen <- string(r.Value):
				default:
				}
			})
			// Some work while rebalances wait, as the consumer's apply.
			time.Sleep(time.Duration(rand.IntN(50)) * time.Millisecond)
			cl.AllowRebalance()
		}
	}()
	return m
}

// Dynamic group members killed again and again (no LeaveGroup) and
// replaced at once: after the last kill the group must consume every
// partition again within the session timeout plus the rebalance timeout.
// Unpatched kfake stalled here for minutes with "unable to join group
// session: … i/o timeout" (issue 11, point 0): see
// internal/third_party/kfake/PATCHES.md.
func TestDynamicMembersRecoverAfterKills(t *testing.T) {
	b, err := StartBroker(context.Background(), "127.0.0.1:0", 4,
		kfake.BrokerConfigs(map[string]string{"group.min.session.timeout.ms": "500"}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	adm, err := kgo.NewClient(kgo.SeedBrokers(b.Addrs()...))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(adm.Close)
	const topic, group = "t", "g"
	const kills = 20
	if _, err := kadm.NewClient(adm).CreateTopic(t.Context(), 4, 1, nil, topic); err != nil {
		t.Fatal(err)
	}
	seen := make(chan string, 1024)
	members := []*member{startMember(t, b.Addrs(), group, topic, seen), startMember(t, b.Addrs(), group, topic, seen)}
	var dead []*member
	t.Cleanup(func() {
		for _, m := range append(dead, members...) {
			m.cl.Close()
		}
	})
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(seed, 2))
	for range kills {
		time.Sleep(time.Duration(150+r.IntN(600)) * time.Millisecond)
		i := r.IntN(len(members))
		members[i].k.kill()
		dead = append(dead, members[i])
		members[i] = startMember(t, b.Addrs(), group, topic, seen)
	}
	lastKill := time.Now()
	// One marker per partition, then wait until the live members read all.
	for p := range int32(4) {
		rec := &kgo.Record{Topic: topic, Partition: p, Value: []byte("marker-" + strconv.Itoa(int(p)))}
		if err := adm.ProduceSync(t.Context(), rec).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	within := time.Second + 3*time.Second // session + rebalance timeout
	got := map[string]bool{}
	deadline := time.After(10 * within)
	for len(got) < 4 {
		select {
		case v := <-seen:
			if len(v) > 7 && v[:7] == "marker-" {
				got[v] = true
			}
		case <-deadline:
			t.Fatalf("the group did not read every partition within %s of the last kill (read %v)", 10*within, got)
		}
	}
	// Twice the bound: a loaded machine (the race detector) is slow, and
	// the stall this catches lasted many times longer.
	if took := time.Since(lastKill); took > 2*within {
		t.Errorf("the group consumed again %s after the last kill; want within session + rebalance timeout (%s)", took.Round(time.Millisecond), within)
	}
	t.Logf("consuming again %s after the last kill", time.Since(lastKill).Round(time.Millisecond))
}
