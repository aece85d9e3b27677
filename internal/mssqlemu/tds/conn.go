package tds

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"
)

// tdsVersion74 is the TDS version this server speaks.
const tdsVersion74 = 0x74000004

// conn is one client connection.
type conn struct {
	srv  *Server
	nc   net.Conn
	spid uint16
	log  *slog.Logger

	br *bufio.Reader // buffered reads of nc
	r  io.Reader     // current read transport (nc or TLS)
	w  io.Writer     // current write transport
	pw *packetWriter

	encryption string // "off", "login", "on" or "strict", for logs

	closeOnce sync.Once

	// Request state shared with the reader goroutine (attention).
	mu        sync.Mutex
	cancelReq context.CancelFunc // set while a request runs
	attn      bool               // attention arrived for the running request
}

func newConn(s *Server, nc net.Conn, spid uint16) *conn {
	c := &conn{srv: s, nc: nc, spid: spid, br: bufio.NewReader(nc)}
	c.log = s.cfg.Logger.With("spid", spid, "remote", nc.RemoteAddr().String())
	c.r, c.w = c.br, nc
	c.encryption = "off"
	return c
}

func (c *conn) close() {
	c.closeOnce.Do(func() { _ = c.nc.Close() })
}

// bufferedConn reads through the connection's bufio.Reader, so bytes
// peeked before TLS starts are not lost.
type bufferedConn struct {
	net.Conn
	r io.Reader
}

func (b bufferedConn) Read(p []byte) (int, error) { return b.r.Read(p) }

// serve runs the connection until the client leaves or ctx ends.
func (c *conn) serve(ctx context.Context) {
	defer c.close()
	// Serve closes the connection when its context ends.
	sess, err := c.handshake(ctx)
	if err != nil {
		if !isDisconnect(err) && ctx.Err() == nil {
			c.log.Info("tds: connection ended before login completed", "err", err)
		}
		return
	}
	defer func() {
		if err := sess.Close(); err != nil {
			c.log.Warn("tds: close session", "err", err)
		}
	}()
	if err := c.run(ctx, sess); err != nil && !isDisconnect(err) && ctx.Err() == nil {
		c.log.Info("tds: connection ended", "err", err)
	}
}

func isDisconnect(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) || errors.Is(err, io.ErrUnexpectedEOF)
}

// handshake runs PRELOGIN, TLS and LOGIN7 and returns the logged-in session.
func (c *conn) handshake(ctx context.Context) (Session, error) {
	cfg := c.srv.cfg
	if err := c.nc.SetDeadline(time.Now().Add(cfg.LoginTimeout)); err != nil {
		return nil, err
	}
	cert, err := c.srv.certificate()
	if err != nil {
		return nil, err
	}
	strict := false
	if first, err := c.br.Peek(1); err != nil {
		return nil, err
	} else if first[0] == 0x16 { // a TLS record: TDS 8.0, TLS before PRELOGIN
		tc := tls.Server(bufferedConn{c.nc, c.br}, strictTLSConfig(*cert))
		if err := tc.HandshakeContext(ctx); err != nil {
			return nil, fmt.Errorf("TDS 8 TLS handshake: %w", err)
		}
		c.r, c.w, strict = tc, tc, true
		c.encryption = "strict"
	}
	c.pw = newPacketWriter(c.w, preloginPacketSize)
	c.pw.spid = c.spid

	pre, err := readMessage(c.r, c.r, preloginPacketSize)
	if err != nil {
		return nil, fmt.Errorf("read PRELOGIN: %w", err)
	}
	if pre.typ != packetPrelogin {
		return nil, fmt.Errorf("first message has packet type %d, want PRELOGIN (18)", pre.typ)
	}
	opts, err := parsePrelogin(pre.data)
	if err != nil {
		return nil, err
	}
	clientEnc := encryptOff
	if e := opts[preloginEncryption]; len(e) > 0 {
		clientEnc = e[0]
	}
	enc := negotiateEncryption(clientEnc, cfg.ForceEncryption)
	if strict {
		enc = encryptReq
	}
	_, fedAuth := opts[preloginFedAuth]
	if err := c.send(packetReply, buildPreloginResponse(enc, fedAuth)); err != nil {
		return nil, err
	}

	loginFirst := c.r
	if !strict && enc != encryptNotSup {
		hc := newPreloginTLSConn(c.nc, c.br)
		tc := tls.Server(hc, serverTLSConfig(*cert))
		if err := tc.HandshakeContext(ctx); err != nil {
			return nil, fmt.Errorf("TLS handshake inside PRELOGIN: %w", err)
		}
		if err := hc.flush(); err != nil {
			return nil, err
		}
		hc.wrapped = false
		if enc == encryptOff {
			loginFirst = tc // only the first LOGIN7 packet is encrypted
			c.encryption = "login"
		} else {
			c.encryption = "on"
			c.r, c.w, loginFirst = tc, tc, tc
			c.pw = newPacketWriter(c.w, preloginPacketSize)
			c.pw.spid = c.spid
		}
	}

	msg, err := readMessage(loginFirst, c.r, cfg.MaxMessageSize)
	if err != nil {
		return nil, fmt.Errorf("read LOGIN7: %w", err)
	}
	if msg.typ != packetLogin7 {
		return nil, fmt.Errorf("expected LOGIN7 (16), got packet type %d", msg.typ)
	}
	sess, err := c.login(ctx, msg.data)
	if err != nil {
		return nil, err
	}
	if err := c.nc.SetDeadline(time.Time{}); err != nil {
		_ = sess.Close()
		return nil, err
	}
	return sess, nil
}

// login authenticates the LOGIN7 record and answers as SQL Server does.
func (c *conn) login(ctx context.Context, data []byte) (Session, error) {
	cfg := c.srv.cfg
	l, err := parseLogin7(data)
	if err != nil {
		c.sendLoginError(&Message{Number: 18456, State: 1, Class: 14, Text: "Login failed for user ''."})
		return nil, err
	}
	if l.OptionFlags2&fIntSecurity != 0 {
		c.sendLoginError(&Message{Number: 18452, State: 1, Class: 14,
			Text: "Login failed. The login is from an untrusted domain and cannot be used with Integrated authentication."})
		return nil, errors.New("integrated (SSPI) authentication is not supported; use SQL Server authentication")
	}
	req := LoginRequest{User: l.UserName, Password: l.Password, NewPassword: l.ChangePassword, Database: l.Database,
		AppName: l.AppName, HostName: l.HostName, ServerName: l.ServerName, SPID: c.spid,
		Encrypted: c.encryption == "on" || c.encryption == "strict"}
	if a := c.nc.RemoteAddr(); a != nil {
		req.ClientAddr = a.String()
	}
	if a := c.nc.LocalAddr(); a != nil {
		req.LocalAddr = a.String()
	}
	sess, err := c.srv.backend.Login(ctx, req)
	if err != nil {
		var m *Message
		if !errors.As(err, &m) {
			c.log.Warn("tds: backend login failed", "user", l.UserName, "err", err)
			m = &Message{Number: 18456, State: 1, Class: 14, Text: fmt.Sprintf("Login failed for user '%s'.", l.UserName)}
		}
		c.sendLoginError(m)
		return nil, fmt.Errorf("login of %q refused: %w", l.UserName, err)
	}

	size := negotiatedPacketSize(l.PacketSize)
	if c.encryption == "on" || c.encryption == "strict" {
		// SQL Server caps the packet size of encrypted sessions.
		size = min(size, maxEncryptedPacketSize)
	}
	version := uint32(tdsVersion74)
	if l.TDSVersion>>24 < 0x74 && l.TDSVersion>>24 >= 0x70 {
		version = l.TDSVersion
	}
	db := sess.Database()
	var w wbuf
	writeEnvChangeString(&w, envDatabase, db, "master")
	writeMessage(&w, &Message{Number: 5701, State: 2, Class: 0, Text: fmt.Sprintf("Changed database context to '%s'.", db)}, cfg.ServerName)
	coll := collationBytes(cfg.Collation)
	writeEnvChangeBytes(&w, envCollation, coll[:], nil)
	writeEnvChangeString(&w, envLanguage, cfg.Language, "")
	writeMessage(&w, &Message{Number: 5703, State: 1, Class: 0, Text: fmt.Sprintf("Changed language setting to %s.", cfg.Language)}, cfg.ServerName)
	writeLoginAck(&w, version)
	writePacketSizeEnv(&w, size, preloginPacketSize)
	writeDone(&w, tokDone, doneFinal, cmdNone, 0)
	c.pw = newPacketWriter(c.w, size)
	c.pw.spid = c.spid
	if err := c.send(packetReply, w.b); err != nil {
		_ = sess.Close()
		return nil, err
	}
	c.log.Debug("tds: login", "user", l.UserName, "database", db, "app", l.AppName,
		"packet_size", size, "encryption", c.encryption, "tds_version", fmt.Sprintf("%#x", version))
	return sess, nil
}

// sendLoginError sends ERROR and DONE(error); the caller then closes.
func (c *conn) sendLoginError(m *Message) {
	var w wbuf
	writeMessage(&w, m, c.srv.cfg.ServerName)
	writeDone(&w, tokDone, doneError, cmdNone, 0)
	_ = c.send(packetReply, w.b)
}

// send writes a whole message.
func (c *conn) send(typ byte, b []byte) error {
	c.pw.begin(typ)
	if _, err := c.pw.Write(b); err != nil {
		return err
	}
	return c.pw.end()
}
