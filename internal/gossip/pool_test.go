package gossip

import (
	"fmt"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func startPool(t *testing.T, name, role string) (*Pool, int) {
	t.Helper()
	port := freePort(t)
	p, err := New(Config{
		Name: name, BindAddr: "127.0.0.1", BindPort: port, Fast: true,
		Meta: Meta{Role: role, HTTPAddr: "127.0.0.1:1", NodeID: name + "-id"},
	}, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	return p, port
}

func TestPool_JoinSeesMetaAndFailure(t *testing.T) {
	s1, port := startPool(t, "s1", RoleServer)
	defer s1.Shutdown()
	c1, _ := startPool(t, "c1", RoleClient)
	defer c1.Shutdown()

	_, err := c1.Join([]string{fmt.Sprintf("127.0.0.1:%d", port)})
	require.NoError(t, err)

	require.Eventually(t, func() bool {
		servers := c1.Servers()
		return len(servers) == 1 && servers[0].NodeID == "s1-id"
	}, 10*time.Second, 20*time.Millisecond)

	// A member that stops without leaving is declared failed.
	require.NoError(t, c1.Shutdown())
	require.Eventually(t, func() bool {
		for _, m := range s1.Members() {
			if m.Name == "c1" {
				return m.Status == StatusFailed
			}
		}
		return false
	}, 20*time.Second, 50*time.Millisecond)
}

func TestPool_JoinUnreachableFails(t *testing.T) {
	p, _ := startPool(t, "lonely", RoleClient)
	defer p.Shutdown()
	_, err := p.Join([]string{fmt.Sprintf("127.0.0.1:%d", freePort(t))})
	require.Error(t, err)
}
