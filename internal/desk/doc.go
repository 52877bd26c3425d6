// Package desk is balie's domain core: the entities every other package talks
// about, the rules for their states, the sentinel errors, and the ports
// (Store, Bus, Channel, Blob, Clock) that adapters implement.
//
// desk imports only the standard library. A test enforces it.
package desk
