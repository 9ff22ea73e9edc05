package api

// Node statuses.
const (
	NodeStatusInit  = "initializing"
	NodeStatusReady = "ready"
	NodeStatusDown  = "down"
)

// Node scheduling eligibility.
const (
	NodeEligible   = "eligible"
	NodeIneligible = "ineligible"
)

// Node is a client machine that runs allocations.
type Node struct {
	ID         string
	Name       string
	Datacenter string
	// HTTPAddr is where the client serves allocation logs, host:port.
	HTTPAddr string
	// Attributes are fingerprinted facts such as "kernel.name",
	// "cpu.arch", "os.version" and "driver.wasm".
	Attributes map[string]string
	Meta       map[string]string
	Resources  *NodeResources
	// Reserved is held back from placement for the node's own use.
	Reserved *NodeResources
	// Drivers lists the task drivers this node can run.
	Drivers []string

	Status      string
	Drain       bool
	Eligibility string
	// StatusUpdatedAt is the Unix time in nanoseconds of the last status
	// change, set by the server before the Raft command.
	StatusUpdatedAt   int64
	StatusDescription string

	CreateIndex uint64
	ModifyIndex uint64
}

// NodeResources is what a node offers.
type NodeResources struct {
	CPU      int
	MemoryMB int
	// Devices are the node's device groups: GPUs and their MIG instances.
	Devices []*DeviceGroup
	// DevicesMocked is true when the devices come from a simulated
	// NVIDIA server rather than real hardware.
	DevicesMocked bool
}

// DeviceGroup is a set of identical devices on one node.
type DeviceGroup struct {
	Vendor     string
	Type       string
	Model      string
	Attributes map[string]string
	Instances  []*DeviceInstance
}

// DeviceInstance is one device, or one MIG instance of a GPU.
type DeviceInstance struct {
	// ID is the device UUID, or the MIG instance UUID.
	ID string
	// ParentID is the UUID of the GPU a MIG instance lives on.
	ParentID   string
	MIGProfile string
	MemoryMB   int
	PCIBusID   string
	Healthy    bool
	// HealthDescription says why an instance is unhealthy.
	HealthDescription string
	Attributes        map[string]string
}

// NodeListStub is the short form of a node in lists.
type NodeListStub struct {
	ID          string
	Name        string
	Datacenter  string
	Status      string
	Drain       bool
	Eligibility string
	CreateIndex uint64
	ModifyIndex uint64
}
