package kafkatest

import (
	"context"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/mssql2adb/mssql2adb/internal/faultproxy"
)

// A broker that advertises a proxy's address gets every client connection
// through the proxy, bootstrap or not: a refusing proxy stops the client,
// which goes on when the proxy forwards again.
func TestAdvertisedAddressTakesEveryConnection(t *testing.T) {
	ctx := context.Background()
	b, err := StartBroker(ctx, "127.0.0.1:0", 1)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	p, err := faultproxy.Start(b.Addrs()[0])
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if err := b.Cluster().Advertise(0, "not an address"); err == nil {
		t.Fatal("Advertise accepted an address without a port")
	}
	if err := b.Cluster().Advertise(0, p.Addr()); err != nil {
		t.Fatal(err)
	}
	// Seeded at the broker itself: only the advertised address leads
	// through the proxy.
	cl, err := kgo.NewClient(kgo.SeedBrokers(b.Addrs()...), kgo.DefaultProduceTopic("t"))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if err := b.Cluster().CreateTopic("t", 1, nil); err != nil {
		t.Fatal(err)
	}
	produce := func(within time.Duration) error {
		pctx, cancel := context.WithTimeout(ctx, within)
		defer cancel()
		return cl.ProduceSync(pctx, &kgo.Record{Value: []byte("v")}).FirstErr()
	}
	if err := produce(30 * time.Second); err != nil {
		t.Fatalf("produce through the advertised proxy: %v", err)
	}
	if p.Accepted() == 0 {
		t.Fatal("the client never connected to the advertised address")
	}
	p.Set(faultproxy.Refuse)
	before := p.Accepted()
	lctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	_, err = kadm.NewClient(cl).ListEndOffsets(lctx, "t")
	cancel()
	if err == nil {
		t.Fatal("a request was answered while the advertised address refused connections")
	}
	if p.Accepted() == before {
		t.Fatal("the client did not try the advertised address while it refused connections")
	}
	p.Set(faultproxy.Forward)
	if err := produce(30 * time.Second); err != nil {
		t.Fatalf("produce once the proxy forwards again: %v", err)
	}
}
