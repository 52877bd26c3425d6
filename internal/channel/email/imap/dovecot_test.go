package imap_test

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// dovecot is a throwaway Dovecot IMAP server on a loopback port, with its
// configuration, mail and sockets in a temporary directory.
type dovecot struct {
	addr     string
	user     string
	password string
	log      string // its log file, shown when a test fails
}

// startDovecot starts Dovecot for one test and stops it when the test
// ends. Without dovecot installed the test is skipped, except in CI
// (CI=true), where scripts/test.sh installs it and a skip would hide a
// broken install step.
func startDovecot(t *testing.T) *dovecot {
	t.Helper()
	bin, err := exec.LookPath("dovecot")
	if err != nil {
		bin = "/usr/sbin/dovecot" // not on a normal user's PATH
		if _, err := os.Stat(bin); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatal("dovecot is not installed; scripts/test.sh installs dovecot-imapd")
			}
			t.Skip("dovecot is not installed (apt-get install dovecot-imapd); skipping tests against a real IMAP server")
		}
	}
	// Dovecot drops privileges: as root it runs its helpers as the users
	// the package creates, and the mail as "dovecot"; as anyone else it
	// runs everything as that user. Either way the directory must be
	// reachable for them, so it is not t.TempDir (mode 0700).
	dir, err := os.MkdirTemp("", "balie-dovecot-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	internalUser, loginUser := "", ""
	uid, gid := os.Getuid(), os.Getgid()
	if uid == 0 {
		internalUser, loginUser = "dovecot", "dovenull"
		u, err := user.Lookup("dovecot")
		if err != nil {
			t.Fatalf("dovecot runs as root but its user is missing: %v", err)
		}
		uid, _ = strconv.Atoi(u.Uid)
		gid, _ = strconv.Atoi(u.Gid)
	} else {
		u, err := user.Current()
		if err != nil {
			t.Fatal(err)
		}
		internalUser, loginUser = u.Username, u.Username
	}
	mail := filepath.Join(dir, "mail")
	if err := os.Mkdir(mail, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(mail, uid, gid); err != nil {
		t.Fatal(err)
	}
	d := &dovecot{user: "support@example.nl", password: "geheim wachtwoord", log: filepath.Join(dir, "dovecot.log")}
	passwd := fmt.Sprintf("%s:{PLAIN}%s:%d:%d::%s/%s::\n", d.user, d.password, uid, gid, mail, "support")
	if err := os.WriteFile(filepath.Join(dir, "passwd"), []byte(passwd), 0o644); err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	d.addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	conf := fmt.Sprintf(`
base_dir = %[1]s/run
state_dir = %[1]s/state
instance_name = balie-test-%[2]d
log_path = %[1]s/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
default_internal_user = %[3]s
default_internal_group = %[3]s
default_login_user = %[4]s
first_valid_uid = 1
mail_location = maildir:~/Maildir
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%%u %[1]s/passwd
}
userdb {
  driver = passwd-file
  args = username_format=%%u %[1]s/passwd
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = %[2]d
  }
  inet_listener imaps {
    port = 0
  }
  chroot =
}
service anvil {
  chroot =
  # No growing delay after the wrong-password tests' failed logins.
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
`, dir, port, internalUser, loginUser)
	confPath := filepath.Join(dir, "dovecot.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	// Its output goes to a file: read while it runs, a buffer would race.
	out, err := os.Create(filepath.Join(dir, "stdout"))
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close() // the child has its own copy
	cmd := exec.Command(bin, "-F", "-c", confPath)
	cmd.Stdout, cmd.Stderr = out, out
	// Its own process group, so that a killed test run does not leave it
	// holding the terminal's signals.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start dovecot: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
	})
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("dovecot output and log:\n%s", d.output(dir))
		}
	})
	// Wait until it accepts connections: bounded, polling every 20ms.
	deadline := time.Now().Add(15 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", d.addr, time.Second)
		if err == nil {
			c.Close()
			return d
		}
		select {
		case err := <-exited:
			t.Fatalf("dovecot exited: %v\n%s", err, d.output(dir))
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("dovecot did not listen on %s within 15s", d.addr)
		}
	}
}

func (d *dovecot) output(dir string) string {
	out, _ := os.ReadFile(filepath.Join(dir, "stdout"))
	log, _ := os.ReadFile(d.log)
	return string(out) + string(log)
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// TestDovecotStarts checks the harness itself with a raw connection.
func TestDovecotStarts(t *testing.T) {
	d := startDovecot(t)
	c, err := net.DialTimeout("tcp", d.addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 512)
	n, _ := c.Read(buf)
	if !bytes.HasPrefix(buf[:n], []byte("* OK")) {
		t.Fatalf("greeting = %q, want * OK", buf[:n])
	}
}
