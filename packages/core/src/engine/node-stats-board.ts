import type { NodeStats } from "../domain/node-stats.js";

/** One sample of this node's stored-message counter. */
interface Sample {
  at: number;
  stored: number;
}

/**
 * The load of every node, for `im.admin.stats`: this node samples its own counters on
 * each tick (messages per minute come from the samples of the last minute) and
 * broadcasts them; other nodes' last broadcasts are kept until they are three ticks old.
 */
export class NodeStatsBoard {
  private readonly samples: Sample[] = [];
  private readonly others = new Map<string, NodeStats>();

  /**
   * @param nodeId - this node
   * @param intervalMs - the tick (others' entries expire after three)
   * @param read - this node's counters now
   */
  constructor(
    private readonly nodeId: string,
    private readonly intervalMs: number,
    private readonly read: () => {
      connections: number;
      sessions: number;
      messagesStored: number;
    },
  ) {}

  /** Takes a sample; returns this node's stats to broadcast. */
  tick(now = Date.now()): NodeStats {
    const { messagesStored } = this.read();
    this.samples.push({ at: now, stored: messagesStored });
    // Keep one sample at least a minute old, to measure a whole minute.
    while (this.samples.length > 2 && now - this.samples[1]!.at >= 60_000) this.samples.shift();
    return this.own(now);
  }

  /** This node's stats now. */
  own(now = Date.now()): NodeStats {
    const { connections, sessions, messagesStored } = this.read();
    const oldest = this.samples[0];
    let messagesPerMinute = 0;
    if (oldest && now > oldest.at) {
      const span = Math.max(now - oldest.at, 1_000);
      messagesPerMinute = Math.round(((messagesStored - oldest.stored) * 60_000) / span);
    }
    return {
      nodeId: this.nodeId,
      connections,
      sessions,
      messagesPerMinute,
      at: now,
    };
  }

  /** Another node's broadcast. */
  record(stats: NodeStats): void {
    if (stats.nodeId !== this.nodeId) this.others.set(stats.nodeId, stats);
  }

  /** Every node's latest stats, this node first, then by node id. */
  all(now = Date.now()): NodeStats[] {
    const fresh: NodeStats[] = [];
    for (const [nodeId, stats] of this.others) {
      if (now - stats.at > 3 * this.intervalMs) this.others.delete(nodeId);
      else fresh.push(stats);
    }
    fresh.sort((a, b) => (a.nodeId < b.nodeId ? -1 : a.nodeId > b.nodeId ? 1 : 0));
    return [this.own(now), ...fresh];
  }
}
