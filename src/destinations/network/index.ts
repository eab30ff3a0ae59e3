/** The preservation network (a Chronopolis-style Ingest service and its replicating nodes). */
export { NetworkDestination, bagNameOf, type NetworkDestinationOptions } from './destination.js';
export { IngestClient, IngestError, type Bag, type BagStatus, type Replication, type ReplicationStatus } from './client.js';
export { readNetworkSettings, type NetworkSettings } from './settings.js';
export { networkRecordOf, type NetworkRecord, type VersionInNetwork } from './records.js';
