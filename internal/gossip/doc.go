// Package gossip runs the agent's membership in the cluster's one gossip
// pool (hashicorp/memberlist). Servers and clients both join it; each
// member's metadata carries its role, datacenter, node ID and the addresses
// of its HTTP and Raft listeners, so that servers find each other to
// bootstrap Raft and clients find the servers.
package gossip
