package bench

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// client talks to the server's JSON API.
type client struct {
	base  string // target + "/api/v1"
	token string
	hc    *http.Client
}

// requestTimeout bounds one request so a wedged server shows up as errors
// instead of a hung bench.
const requestTimeout = 60 * time.Second

func newClient(target, token string, maxConns int) *client {
	return &client{
		base:  target + "/api/v1",
		token: token,
		hc: &http.Client{
			Transport: newLoopbackTransport(maxConns),
			Timeout:   requestTimeout,
			// Following a redirect could leave loopback; the dialer would refuse,
			// but a redirect is a server bug worth seeing as such.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}
}

// newLoopbackTransport keeps connections alive (enough idle ones for every
// client), speaks HTTP/1.1 only, ignores proxy settings and refuses to dial
// anything that does not resolve to a loopback address.
func newLoopbackTransport(maxConns int) *http.Transport {
	d := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}
	return &http.Transport{
		Proxy: nil,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			host, port, err := net.SplitHostPort(addr)
			if err != nil {
				return nil, err
			}
			ips, err := net.DefaultResolver.LookupIPAddr(ctx, host)
			if err != nil {
				return nil, err
			}
			for _, ip := range ips {
				if ip.IP.IsLoopback() {
					return d.DialContext(ctx, network, net.JoinHostPort(ip.IP.String(), port))
				}
			}
			return nil, fmt.Errorf("bench: dial %s: not a loopback address", addr)
		},
		MaxIdleConns:        2*maxConns + 8,
		MaxIdleConnsPerHost: 2*maxConns + 8,
		IdleConnTimeout:     90 * time.Second,
		// A non-nil empty map turns HTTP/2 off, as BENCHMARK.md asks for HTTP/1.1.
		TLSNextProto:      map[string]func(string, *tls.Conn) http.RoundTripper{},
		ForceAttemptHTTP2: false,
	}
}

// statusError is a non-2xx answer.
type statusError struct {
	method, path string
	status       int
	body         string
}

func (e *statusError) Error() string {
	return fmt.Sprintf("%s %s: status %d: %s", e.method, e.path, e.status, e.body)
}

// do sends one request and decodes a 2xx JSON answer into out (if non-nil).
// The latency runs from just before sending to the end of reading the body;
// it is returned also for failed requests, but callers only record successes.
func (c *client) do(ctx context.Context, method, path string, in, out any) (time.Duration, error) {
	var body io.Reader
	var payload []byte
	if in != nil {
		var err error
		if payload, err = json.Marshal(in); err != nil {
			return 0, fmt.Errorf("%s %s: encode: %w", method, path, err)
		}
		body = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return 0, fmt.Errorf("%s %s: %w", method, path, err)
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	start := time.Now()
	resp, err := c.hc.Do(req)
	if err != nil {
		return time.Since(start), fmt.Errorf("%s %s: %w", method, path, err)
	}
	data, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	lat := time.Since(start)
	if err != nil {
		return lat, fmt.Errorf("%s %s: read body: %w", method, path, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return lat, &statusError{method: method, path: path, status: resp.StatusCode, body: snippet(data)}
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return lat, fmt.Errorf("%s %s: decode: %w", method, path, err)
		}
	}
	return lat, nil
}

func snippet(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return s
}

func (c *client) close() { c.hc.CloseIdleConnections() }

// API shapes, limited to the fields the bench reads or writes. Requests carry
// only documented fields: the server rejects unknown ones.

type idOnly struct {
	ID int64 `json:"id"`
}

type createInboxReq struct {
	Name     string         `json:"name"`
	Channel  string         `json:"channel"`
	Settings map[string]any `json:"settings"`
}

type contactIn struct {
	Name  string `json:"name"`
	Email string `json:"email"`
	Phone string `json:"phone"`
}

type messageIn struct {
	Body string `json:"body"`
}

type createConvReq struct {
	InboxID int64     `json:"inbox_id"`
	Contact contactIn `json:"contact"`
	Message messageIn `json:"message"`
}

type createConvResp struct {
	Conversation idOnly `json:"conversation"`
	Message      idOnly `json:"message"`
}

type postMessageReq struct {
	Type string `json:"type"`
	Body string `json:"body"`
}

type convList struct {
	Items      []idOnly `json:"items"`
	NextCursor string   `json:"next_cursor"`
}

type searchResp struct {
	Items []struct {
		Conversation struct {
			ID      int64 `json:"id"`
			Contact struct {
				Email string `json:"email"`
			} `json:"contact"`
		} `json:"conversation"`
		MessageID int64 `json:"message_id"`
	} `json:"items"`
}

func (c *client) createInbox(ctx context.Context, name, webhookURL string) (int64, error) {
	var out idOnly
	_, err := c.do(ctx, http.MethodPost, "/inboxes", createInboxReq{
		Name:     name,
		Channel:  "api",
		Settings: map[string]any{"webhook_url": webhookURL, "webhook_secret": "balie-bench-sink-secret"},
	}, &out)
	if err != nil {
		return 0, fmt.Errorf("bench: create inbox: %w", err)
	}
	if out.ID == 0 {
		return 0, errors.New("bench: create inbox: answer has no id")
	}
	return out.ID, nil
}

// listConversationIDs pages through view=all until it has max ids or the
// list ends: the fallback when W1 did not run in this invocation.
func (c *client) listConversationIDs(ctx context.Context, max int) ([]int64, error) {
	var ids []int64
	cursor := ""
	for len(ids) < max {
		path := "/conversations?view=all&limit=100"
		if cursor != "" {
			path += "&cursor=" + url.QueryEscape(cursor)
		}
		var page convList
		if _, err := c.do(ctx, http.MethodGet, path, nil, &page); err != nil {
			return nil, fmt.Errorf("bench: list conversations: %w", err)
		}
		for _, it := range page.Items {
			ids = append(ids, it.ID)
		}
		if page.NextCursor == "" || len(page.Items) == 0 {
			break
		}
		cursor = page.NextCursor
	}
	return ids, nil
}
