// Command devstack starts and stops the embedded development stack (Kafka,
// schema registry, PostgreSQL, SQL Server emulator) for `make up`, `make down`
// and `make demo`.
//
//	devstack up   --dir .devstack --env-file dev.env   start in the background, return when ready
//	devstack serve --dir .devstack --env-file dev.env  run in the foreground until SIGTERM
//	devstack down --dir .devstack --env-file dev.env   stop what up started
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/mssql2adb/mssql2adb/internal/devstack"
)

func main() {
	if len(os.Args) < 2 {
		usage()
		os.Exit(2)
	}
	fs := flag.NewFlagSet(os.Args[1], flag.ExitOnError)
	dir := fs.String("dir", ".devstack", "directory for the stack's data, pid and log files")
	envFile := fs.String("env-file", "dev.env", "file the service addresses are written to")
	wait := fs.Duration("wait", 2*time.Minute, "how long up waits for the stack to be ready")
	_ = fs.Parse(os.Args[2:])
	var err error
	switch os.Args[1] {
	case "up":
		err = up(*dir, *envFile, *wait)
	case "serve":
		err = serve(*dir, *envFile)
	case "down":
		err = down(*dir, *envFile)
	case "-h", "--help", "help":
		usage()
		return
	default:
		usage()
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "devstack:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, `Usage: devstack up|serve|down [--dir DIR] [--env-file FILE]

Starts a Kafka broker, a schema registry, a PostgreSQL cluster and the SQL
Server emulator, and writes MSSQL_DSN, KAFKA_BROKERS, SCHEMA_REGISTRY_URL and
TARGET_DSN to the env file. A variable already set in the environment points
the stack at that real service instead of starting one.`)
}

func pidFile(dir string) string { return filepath.Join(dir, "devstack.pid") }

func readPid(dir string) (int, bool) {
	b, err := os.ReadFile(pidFile(dir))
	if err != nil {
		return 0, false
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return 0, false
	}
	return pid, syscall.Kill(pid, 0) == nil
}

func up(dir, envFile string, wait time.Duration) error {
	if pid, alive := readPid(dir); alive {
		fmt.Printf("dev stack already running (pid %d); addresses in %s\n", pid, envFile)
		return nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	_ = os.Remove(envFile)
	logPath := filepath.Join(dir, "devstack.log")
	logf, err := os.Create(logPath)
	if err != nil {
		return fmt.Errorf("create %s: %w", logPath, err)
	}
	defer logf.Close()
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("find own executable: %w", err)
	}
	cmd := exec.Command(self, "serve", "--dir", dir, "--env-file", envFile)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true} // survives the calling shell
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start stack process: %w", err)
	}
	if err := os.WriteFile(pidFile(dir), []byte(strconv.Itoa(cmd.Process.Pid)+"\n"), 0o644); err != nil {
		return err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	deadline := time.After(wait)
	for {
		select {
		case err := <-exited:
			tail, _ := os.ReadFile(logPath)
			return fmt.Errorf("stack process exited (%v) before it was ready; its log:\n%s", err, tail)
		case <-deadline:
			_ = cmd.Process.Signal(syscall.SIGTERM)
			return fmt.Errorf("stack not ready after %s; see %s", wait, logPath)
		case <-time.After(100 * time.Millisecond):
		}
		if b, err := os.ReadFile(envFile); err == nil && len(b) > 0 {
			fmt.Printf("dev stack running (pid %d, log %s); addresses in %s:\n%s", cmd.Process.Pid, logPath, envFile, b)
			return nil
		}
	}
}

func serve(dir, envFile string) error {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	s, err := devstack.Start(ctx, devstack.Options{Dir: dir, Log: log})
	if err != nil {
		return err
	}
	tmp := envFile + ".tmp"
	if err := os.WriteFile(tmp, []byte(s.EnvFile()), 0o600); err != nil {
		return errors.Join(err, s.Close())
	}
	if err := os.Rename(tmp, envFile); err != nil {
		return errors.Join(err, s.Close())
	}
	log.Info("dev stack ready", "env_file", envFile)
	<-ctx.Done()
	log.Info("stopping dev stack")
	err = s.Close()
	_ = os.Remove(envFile)
	return err
}

func down(dir, envFile string) error {
	pid, alive := readPid(dir)
	if alive {
		_ = syscall.Kill(pid, syscall.SIGTERM)
		for i := 0; i < 300 && syscall.Kill(pid, 0) == nil; i++ {
			time.Sleep(100 * time.Millisecond)
		}
		if syscall.Kill(pid, 0) == nil {
			fmt.Fprintf(os.Stderr, "devstack: pid %d did not stop in 30s; killing it\n", pid)
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
	// A stack process that was killed cannot stop its PostgreSQL: stop the
	// postmaster of the recorded data directory if it still runs.
	if b, err := os.ReadFile(filepath.Join(dir, devstack.PGDataFile)); err == nil {
		dataDir := strings.TrimSpace(string(b))
		if pb, err := os.ReadFile(filepath.Join(dataDir, "postmaster.pid")); err == nil {
			first, _, _ := strings.Cut(string(pb), "\n")
			if p, err := strconv.Atoi(strings.TrimSpace(first)); err == nil && p > 0 {
				_ = syscall.Kill(p, syscall.SIGINT) // fast shutdown
				for i := 0; i < 100 && syscall.Kill(p, 0) == nil; i++ {
					time.Sleep(100 * time.Millisecond)
				}
			}
		}
		_ = os.RemoveAll(filepath.Dir(dataDir))
		_ = os.Remove(filepath.Join(dir, devstack.PGDataFile))
	}
	_ = os.Remove(pidFile(dir))
	_ = os.Remove(envFile)
	if alive {
		fmt.Println("dev stack stopped")
	} else {
		fmt.Println("dev stack was not running")
	}
	return nil
}
