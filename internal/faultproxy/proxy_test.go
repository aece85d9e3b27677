package faultproxy

import (
	"bufio"
	"fmt"
	"net"
	"testing"
	"time"
)

// echo serves a line echo on loopback.
func echo(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				r := bufio.NewReader(c)
				for {
					l, err := r.ReadString('\n')
					if err != nil {
						return
					}
					if _, err := c.Write([]byte(l)); err != nil {
						return
					}
				}
			}()
		}
	}()
	return ln.Addr().String()
}

func roundTrip(c net.Conn, within time.Duration) error {
	_ = c.SetDeadline(time.Now().Add(within))
	if _, err := c.Write([]byte("ping\n")); err != nil {
		return err
	}
	_, err := bufio.NewReader(c).ReadString('\n')
	return err
}

func TestForwardCutStallRefuse(t *testing.T) {
	p, err := Start(echo(t))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	dial := func() net.Conn {
		c, err := net.Dial("tcp", p.Addr())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	c := dial()
	if err := roundTrip(c, 5*time.Second); err != nil {
		t.Fatalf("forward: %v", err)
	}
	p.Cut()
	if err := roundTrip(c, 5*time.Second); err == nil {
		t.Fatal("a cut connection still answers")
	}
	c = dial()
	p.Set(Stall)
	if err := roundTrip(c, 200*time.Millisecond); err == nil {
		t.Fatal("a stalled connection answers")
	}
	p.Set(Forward)
	c = dial()
	if err := roundTrip(c, 5*time.Second); err != nil {
		t.Fatalf("after restore: %v", err)
	}
	p.Set(Refuse)
	if rc, err := net.Dial("tcp", p.Addr()); err == nil { // the kernel may accept it before the reset
		err = roundTrip(rc, 5*time.Second)
		rc.Close()
		if err == nil {
			t.Fatal("a refused connection answers")
		}
	}
	p.Set(Forward)
	if err := roundTrip(dial(), 5*time.Second); err != nil {
		t.Fatalf("after refuse and restore: %v", err)
	}
}

func TestHoldStallsOpenConnectionsForGood(t *testing.T) {
	p, err := Start(echo(t))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	old, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	if err := roundTrip(old, 5*time.Second); err != nil {
		t.Fatalf("forward: %v", err)
	}
	p.Hold()
	p.Set(Stall)
	p.Set(Forward)
	if err := roundTrip(old, 300*time.Millisecond); err == nil {
		t.Fatal("a held connection answers after the stall ended")
	}
	fresh, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.Close()
	if err := roundTrip(fresh, 5*time.Second); err != nil {
		t.Fatalf("a connection opened after Hold: %v", err)
	}
}

// TestDelay: with SetDelay, a round trip takes at least twice the delay,
// and a stream of lines arrives whole and in order.
func TestDelay(t *testing.T) {
	p, err := Start(echo(t))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	const d = 20 * time.Millisecond
	p.SetDelay(d)
	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r := bufio.NewReader(c)
	began := time.Now()
	if _, err := c.Write([]byte("ping\n")); err != nil {
		t.Fatal(err)
	}
	if l, err := r.ReadString('\n'); err != nil || l != "ping\n" {
		t.Fatalf("read %q, %v", l, err)
	}
	if rtt := time.Since(began); rtt < 2*d {
		t.Errorf("round trip %s, want at least %s", rtt, 2*d)
	}
	const n = 5000
	go func() {
		w := bufio.NewWriter(c)
		for i := range n {
			fmt.Fprintf(w, "line %d\n", i)
		}
		_ = w.Flush()
	}()
	for i := range n {
		if l, err := r.ReadString('\n'); err != nil || l != fmt.Sprintf("line %d\n", i) {
			t.Fatalf("line %d: read %q, %v", i, l, err)
		}
	}
}
