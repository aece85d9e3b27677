package tds

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"io"
	"math/big"
	"net"
	"time"
)

// selfSignedCertificate makes a certificate for localhost and 127.0.0.1,
// as SQL Server does at start when no certificate is configured.
func selfSignedCertificate(commonName string) (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("generate TLS key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("generate certificate serial: %w", err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: commonName},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.AddDate(1, 0, 0),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		DNSNames:              []string{"localhost", commonName},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("create self-signed certificate: %w", err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}

// preloginTLSConn carries the TLS handshake inside TDS PRELOGIN packets
// (MS-TDS 3.2.5.2) and, once the handshake is over, passes bytes through
// unchanged. Handshake output is buffered and sent as one PRELOGIN message
// when the TLS layer next reads, or when flush is called.
type preloginTLSConn struct {
	net.Conn           // the TCP connection: addresses, deadlines, Close
	r        io.Reader // reads the TCP connection (possibly buffered)
	in       []byte    // unread payload of the current PRELOGIN packet
	out      bytes.Buffer
	wrapped  bool
}

func newPreloginTLSConn(c net.Conn, r io.Reader) *preloginTLSConn {
	return &preloginTLSConn{Conn: c, r: r, wrapped: true}
}

func (c *preloginTLSConn) Read(b []byte) (int, error) {
	if !c.wrapped {
		if len(c.in) > 0 {
			n := copy(b, c.in)
			c.in = c.in[n:]
			return n, nil
		}
		return c.r.Read(b)
	}
	if err := c.flush(); err != nil {
		return 0, err
	}
	for len(c.in) == 0 {
		var hdr [headerLen]byte
		typ, _, payload, err := readPacket(c.r, &hdr)
		if err != nil {
			return 0, err
		}
		if typ != packetPrelogin {
			return 0, fmt.Errorf("tds: packet type %d during the TLS handshake, want PRELOGIN (18)", typ)
		}
		c.in = payload
	}
	n := copy(b, c.in)
	c.in = c.in[n:]
	return n, nil
}

func (c *preloginTLSConn) Write(b []byte) (int, error) {
	if !c.wrapped {
		return c.Conn.Write(b)
	}
	return c.out.Write(b)
}

// flush sends buffered handshake bytes as a PRELOGIN message.
func (c *preloginTLSConn) flush() error {
	if c.out.Len() == 0 {
		return nil
	}
	pw := newPacketWriter(c.Conn, preloginPacketSize)
	pw.begin(packetPrelogin)
	if _, err := pw.Write(c.out.Bytes()); err != nil {
		return err
	}
	c.out.Reset()
	return pw.end()
}

// serverTLSConfig is the TLS configuration for PRELOGIN-wrapped handshakes.
// TDS 7.x clients negotiate TLS 1.2, as with SQL Server; session tickets are
// off because a ticket sent after the handshake would land outside the
// PRELOGIN framing the client expects.
func serverTLSConfig(cert tls.Certificate) *tls.Config {
	return &tls.Config{
		Certificates:           []tls.Certificate{cert},
		MinVersion:             tls.VersionTLS12,
		MaxVersion:             tls.VersionTLS12,
		SessionTicketsDisabled: true,
	}
}

// strictTLSConfig is the configuration for TDS 8.0 (encrypt=strict), where
// TLS comes first and PRELOGIN travels inside it.
func strictTLSConfig(cert tls.Certificate) *tls.Config {
	return &tls.Config{
		Certificates:           []tls.Certificate{cert},
		MinVersion:             tls.VersionTLS12,
		NextProtos:             []string{"tds/8.0"},
		SessionTicketsDisabled: true,
	}
}
