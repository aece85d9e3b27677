package kafka

import (
	"fmt"
	"strings"

	"github.com/twmb/franz-go/pkg/kgo"
)

// Compressions are the record batch codecs a producer may write, by the
// names Kafka's own compression.type uses.
var Compressions = []string{"none", "gzip", "snappy", "lz4", "zstd"}

// Compression returns the producer option for codec name (Compressions):
// readers decompress any codec by themselves, so it is the producer's
// choice alone, trading its CPU and the readers' for bytes on the wire and
// on the brokers' disks.
func Compression(name string) (kgo.Opt, error) {
	var c kgo.CompressionCodec
	switch strings.ToLower(strings.TrimSpace(name)) {
	case "none":
		c = kgo.NoCompression()
	case "gzip":
		c = kgo.GzipCompression()
	case "snappy":
		c = kgo.SnappyCompression()
	case "lz4":
		c = kgo.Lz4Compression()
	case "zstd":
		c = kgo.ZstdCompression()
	default:
		return nil, fmt.Errorf("compression %q: want one of %s", name, strings.Join(Compressions, ", "))
	}
	return kgo.ProducerBatchCompression(c), nil
}
