package client

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"

	"github.com/constellation-sched/constellation/api"
)

// serverSet picks the server to talk to, moving on to the next one when a
// request fails. It merges the caller's list with servers learned from
// register and heartbeat answers.
type serverSet struct {
	static func() []string

	// mu guards learned, next and clients.
	mu      sync.Mutex
	learned []string
	next    int
	clients map[string]*api.Client
}

func newServerSet(static func() []string) *serverSet {
	return &serverSet{static: static, clients: map[string]*api.Client{}}
}

// Learn records servers named by a server's answer.
func (s *serverSet) Learn(addrs []string) {
	if len(addrs) == 0 {
		return
	}
	s.mu.Lock()
	s.learned = append([]string(nil), addrs...)
	s.mu.Unlock()
}

// list returns the servers to try, without duplicates, caller's first.
func (s *serverSet) list() []string {
	seen := map[string]bool{}
	var out []string
	add := func(addrs []string) {
		for _, a := range addrs {
			if a != "" && !seen[a] {
				seen[a] = true
				out = append(out, a)
			}
		}
	}
	add(s.static())
	s.mu.Lock()
	add(s.learned)
	s.mu.Unlock()
	return out
}

// Do calls fn with a client for one server after another, starting with
// the one that last answered, until one answers. An answer that is an API
// error below 500 is the server's verdict and is returned as is; network
// errors and server errors move on to the next server.
func (s *serverSet) Do(ctx context.Context, fn func(*api.Client) error) error {
	addrs := s.list()
	if len(addrs) == 0 {
		return ErrNoServers
	}
	s.mu.Lock()
	start := s.next
	s.mu.Unlock()

	var lastErr error
	for i := range addrs {
		idx := (start + i) % len(addrs)
		err := fn(s.client(addrs[idx]))
		if err == nil || !retryable(err) {
			s.mu.Lock()
			s.next = idx
			s.mu.Unlock()
			return err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		lastErr = fmt.Errorf("server %s: %w", addrs[idx], err)
	}
	s.mu.Lock()
	s.next = (start + 1) % len(addrs)
	s.mu.Unlock()
	return lastErr
}

func (s *serverSet) client(addr string) *api.Client {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.clients[addr]
	if c == nil {
		c = api.NewClient(addr)
		s.clients[addr] = c
	}
	return c
}

// retryable reports whether another server might answer better.
func retryable(err error) bool {
	var ae *api.Error
	if errors.As(err, &ae) {
		return ae.StatusCode >= http.StatusInternalServerError
	}
	return !errors.Is(err, context.Canceled)
}
