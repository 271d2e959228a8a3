import SafeTensorsFormat

/// Encodes a flat parameter vector as payload bytes and decodes it back with full validation
/// (names, shapes and dtype must match `layout`). The wire format is safetensors; the
/// abstraction lets checkpoints and messages share one implementation.
public protocol ParameterPayloadCodec: Sendable {
    /// Payload bytes for `flat` (length `layout.count`) in `layout`'s order.
    func encode(flat: [Float], layout: ParameterLayout, metadata: [String: String]) -> [UInt8]
    /// The flat vector (length `layout.count`) and metadata; throws if the bytes do not
    /// describe exactly `layout`.
    func decode(_ bytes: [UInt8], layout: ParameterLayout) throws -> (flat: [Float], metadata: [String: String])
}
