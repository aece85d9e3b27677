// Package faultproxy is a TCP proxy on loopback for tests: put it between a
// program and a service (SQL Server, the registry, PostgreSQL) and it cuts
// the connections, stalls them (accepted, never answered), or refuses new
// ones, until restored; or it delays every byte, as a network between them
// would (make bench). Only tests and the bench import it.
package faultproxy

import (
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Mode is what the proxy does with connections.
type Mode int

const (
	// Forward passes bytes both ways.
	Forward Mode = iota
	// Stall holds every byte (open and new connections); Restore lets
	// them through again.
	Stall
	// Refuse resets new connections at once; open ones are cut.
	Refuse
)

// Proxy forwards connections from its address to a target.
type Proxy struct {
	ln     net.Listener
	target string

	mu    sync.Mutex
	cond  *sync.Cond
	mode  Mode
	conns map[net.Conn]struct{}
	// held are connections stalled for good (Hold).
	held map[net.Conn]bool

	accepted atomic.Int64
	wg       sync.WaitGroup
	// delay is how long bytes wait in each direction (SetDelay).
	delay atomic.Int64
}

// SetDelay makes the bytes of connections accepted from now on wait d in
// each direction before they are passed on (a round trip of 2d), as over a
// network, without bounding throughput: what is read is queued with its
// time and written when due.
func (p *Proxy) SetDelay(d time.Duration) { p.delay.Store(int64(d)) }

// Start listens on a free loopback port and forwards to target (host:port).
func Start(target string) (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &Proxy{ln: ln, target: target, conns: map[net.Conn]struct{}{}}
	p.cond = sync.NewCond(&p.mu)
	p.wg.Add(1)
	go p.accept()
	return p, nil
}

// Addr is the address programs should use instead of the target's.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Accepted counts the connections the proxy accepted (refused ones too): a
// program reconnecting in a busy loop shows here.
func (p *Proxy) Accepted() int64 { return p.accepted.Load() }

// Cut closes every open connection; new ones are forwarded.
func (p *Proxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closeAll()
}

// Hold stalls the connections open now for good (until Close), whatever
// the mode: what a client sees of a server that died without a reset, or
// of connections lost in a failover, while new connections get through.
func (p *Proxy) Hold() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.held == nil {
		p.held = map[net.Conn]bool{}
	}
	for c := range p.conns {
		p.held[c] = true
	}
}

// Set switches the mode; Refuse also cuts the open connections.
func (p *Proxy) Set(m Mode) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.mode = m
	if m == Refuse {
		p.closeAll()
	}
	p.cond.Broadcast()
}

// Close stops the proxy and closes every connection.
func (p *Proxy) Close() {
	_ = p.ln.Close()
	p.mu.Lock()
	p.closeAll()
	p.mode = Forward
	p.held = nil
	p.cond.Broadcast()
	p.mu.Unlock()
	p.wg.Wait()
}

func (p *Proxy) closeAll() {
	for c := range p.conns {
		if tc, ok := c.(*net.TCPConn); ok {
			_ = tc.SetLinger(0) // a reset, as when a service dies
		}
		_ = c.Close()
		delete(p.conns, c)
	}
}

func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.accepted.Add(1)
		p.mu.Lock()
		refuse := p.mode == Refuse
		p.mu.Unlock()
		if refuse {
			if tc, ok := c.(*net.TCPConn); ok {
				_ = tc.SetLinger(0)
			}
			_ = c.Close()
			continue
		}
		p.wg.Add(1)
		go p.serve(c)
	}
}

func (p *Proxy) serve(c net.Conn) {
	defer p.wg.Done()
	up, err := net.Dial("tcp", p.target)
	if err != nil {
		_ = c.Close()
		return
	}
	p.mu.Lock()
	p.conns[c], p.conns[up] = struct{}{}, struct{}{}
	p.mu.Unlock()
	done := make(chan struct{}, 2)
	pipe := p.pipe
	if d := time.Duration(p.delay.Load()); d > 0 {
		pipe = func(dst, src net.Conn) { p.pipeDelayed(dst, src, d) }
	}
	go func() { pipe(up, c); done <- struct{}{} }()
	go func() { pipe(c, up); done <- struct{}{} }()
	<-done
	p.mu.Lock()
	delete(p.conns, c)
	delete(p.conns, up)
	p.mu.Unlock()
	_ = c.Close()
	_ = up.Close()
	<-done
}

// pipe copies src to dst, holding the bytes while the proxy stalls.
func (p *Proxy) pipe(dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			p.mu.Lock()
			for p.mode == Stall || p.held[src] {
				p.cond.Wait()
			}
			_, open := p.conns[src]
			p.mu.Unlock()
			if !open {
				return
			}
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			if !errors.Is(err, io.EOF) {
				return
			}
			if tc, ok := dst.(*net.TCPConn); ok {
				_ = tc.CloseWrite()
			}
			return
		}
	}
}

// pipeDelayed copies src to dst, each chunk written d after it was read.
func (p *Proxy) pipeDelayed(dst, src net.Conn, d time.Duration) {
	type chunk struct {
		b   []byte
		due time.Time
	}
	q := make(chan chunk, 1024)
	go func() {
		defer close(q)
		buf := make([]byte, 32<<10)
		for {
			n, err := src.Read(buf)
			if n > 0 {
				q <- chunk{append([]byte(nil), buf[:n]...), time.Now().Add(d)}
			}
			if err != nil {
				return
			}
		}
	}()
	for c := range q {
		time.Sleep(time.Until(c.due))
		if _, err := dst.Write(c.b); err != nil {
			_ = src.Close()
			for range q { // let the reader end
			}
			return
		}
	}
	if tc, ok := dst.(*net.TCPConn); ok {
		_ = tc.CloseWrite()
	}
}
