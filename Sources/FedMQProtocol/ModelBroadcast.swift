/// What a trainer receives on topic "model".
public enum ModelBroadcast: Sendable {
    /// Global weights (flat, `layout.count`) at `version`.
    case model(version: UInt64, weights: [Float])
    /// The run is over after `version`; `reason` says why (e.g. "target accuracy reached").
    case stop(version: UInt64, reason: String)
}
