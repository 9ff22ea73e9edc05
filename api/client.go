package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// DefaultAddress is where a dev agent serves its HTTP API.
const DefaultAddress = "http://127.0.0.1:7480"

// Error is an API error: the HTTP status and the server's message.
type Error struct {
	StatusCode int
	Message    string
}

// Error returns the server's message with the status code.
func (e *Error) Error() string {
	return fmt.Sprintf("%d: %s", e.StatusCode, e.Message)
}

// IsNotFound reports whether err is an API 404.
func IsNotFound(err error) bool {
	var ae *Error
	return errors.As(err, &ae) && ae.StatusCode == http.StatusNotFound
}

// QueryOptions shape a read.
type QueryOptions struct {
	// WaitIndex blocks the read until state is past this index.
	WaitIndex uint64
	// WaitTime bounds how long a blocking read waits.
	WaitTime time.Duration
	// Stale lets any server answer from its own copy.
	Stale bool
	// Params are added to the query string.
	Params map[string]string
}

// QueryMeta describes a read's answer.
type QueryMeta struct {
	LastIndex   uint64
	KnownLeader bool
}

// Client talks to one agent's HTTP API.
type Client struct {
	addr string
	hc   *http.Client
}

// NewClient returns a client for the agent at addr, such as
// "http://127.0.0.1:7480" or "127.0.0.1:7480".
func NewClient(addr string) *Client {
	if addr == "" {
		addr = DefaultAddress
	}
	if !strings.Contains(addr, "://") {
		addr = "http://" + addr
	}
	return &Client{
		addr: strings.TrimRight(addr, "/"),
		hc:   &http.Client{Timeout: 6 * time.Minute},
	}
}

// Address returns the agent address the client talks to.
func (c *Client) Address() string { return c.addr }

// WithHTTPClient replaces the HTTP client, for custom timeouts.
func (c *Client) WithHTTPClient(hc *http.Client) *Client {
	c.hc = hc
	return c
}

// Do sends a request with an optional JSON body and decodes the JSON answer
// into out when out is not nil.
func (c *Client) Do(ctx context.Context, method, path string, q *QueryOptions, in, out any) (*QueryMeta, error) {
	u := c.addr + path
	if vals := q.values(); len(vals) > 0 {
		u += "?" + vals.Encode()
	}
	var body io.Reader
	if in != nil {
		buf, err := json.Marshal(in)
		if err != nil {
			return nil, fmt.Errorf("encode request: %w", err)
		}
		body = bytes.NewReader(buf)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return nil, err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	meta := parseMeta(resp.Header)
	if resp.StatusCode >= 300 {
		return meta, decodeError(resp)
	}
	if out == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		return meta, nil
	}
	if w, ok := out.(io.Writer); ok {
		_, err = io.Copy(w, resp.Body)
		return meta, err
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return meta, fmt.Errorf("decode %s %s: %w", method, path, err)
	}
	return meta, nil
}

func (q *QueryOptions) values() url.Values {
	v := url.Values{}
	if q == nil {
		return v
	}
	if q.WaitIndex > 0 {
		v.Set("index", strconv.FormatUint(q.WaitIndex, 10))
	}
	if q.WaitTime > 0 {
		v.Set("wait", q.WaitTime.String())
	}
	if q.Stale {
		v.Set("stale", "")
	}
	for k, val := range q.Params {
		v.Set(k, val)
	}
	return v
}

func parseMeta(h http.Header) *QueryMeta {
	m := &QueryMeta{}
	m.LastIndex, _ = strconv.ParseUint(h.Get(HeaderIndex), 10, 64)
	m.KnownLeader = h.Get(HeaderKnownLeader) == "true"
	return m
}

func decodeError(resp *http.Response) error {
	buf, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	var er ErrorResponse
	msg := strings.TrimSpace(string(buf))
	if json.Unmarshal(buf, &er) == nil && er.Error != "" {
		msg = er.Error
	}
	return &Error{StatusCode: resp.StatusCode, Message: msg}
}

func esc(s string) string { return url.PathEscape(s) }
