package kafka

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"
)

// Each codec a producer may choose writes batches of that codec, and a
// reader gets the records back as they were written.
func TestCompressionCodecs(t *testing.T) {
	b := startBroker(t)
	setupTopics(t, b)
	want := map[string]kgo.CompressionCodecType{"none": kgo.CodecNone, "gzip": kgo.CodecGzip, "snappy": kgo.CodecSnappy, "lz4": kgo.CodecLz4, "zstd": kgo.CodecZstd}
	for i, name := range Compressions {
		opt, err := Compression(name)
		if err != nil {
			t.Fatalf("Compression(%q): %v", name, err)
		}
		w, err := NewTxnWriter(t.Context(), TxnConfig{Brokers: b.Addrs(), TransactionalID: "p-" + name, StateTopic: stateTopic, Logger: quietLog, Opts: []kgo.Opt{opt}})
		if err != nil {
			t.Fatalf("new writer %s: %v", name, err)
		}
		// Values that compress, so no codec leaves a batch uncompressed.
		rs := make([]*kgo.Record, 20)
		for j := range rs {
			rs[j] = &kgo.Record{Topic: changeTopic, Key: []byte{byte(j)}, Value: bytes.Repeat([]byte(name), 200)}
		}
		err = w.WriteBatch(t.Context(), rs, stateRec(name, "x"))
		w.Close()
		if err != nil {
			t.Fatalf("WriteBatch with %s: %v", name, err)
		}
		got := readCommitted(t, b, changeTopic)
		if len(got) != 20*(i+1) {
			t.Fatalf("after %s: %d records, want %d", name, len(got), 20*(i+1))
		}
		n := 0
		for _, r := range got {
			if !bytes.Equal(r.Value, bytes.Repeat([]byte(name), 200)) {
				continue
			}
			n++
			if c := r.Attrs.CompressionType(); c != uint8(want[name]) {
				t.Errorf("%s: record written with codec %d, want %d", name, c, want[name])
			}
		}
		if n != 20 {
			t.Errorf("%s: %d records read back intact, want 20", name, n)
		}
	}
	if _, err := Compression("brotli"); err == nil || err.Error() != fmt.Sprintf("compression %q: want one of none, gzip, snappy, lz4, zstd", "brotli") {
		t.Errorf("Compression(brotli) = %v", err)
	}
}
