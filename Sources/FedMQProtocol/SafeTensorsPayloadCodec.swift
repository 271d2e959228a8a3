import SafeTensorsFormat

/// Payloads in the safetensors format via `TensorCore.SafeTensors`: one F32 tensor per
/// parameter under its PyTorch name, in layout order. Decoding accepts any tensor order but
/// requires exactly the layout's names, shapes and dtype F32 (else `SafeTensorsError`).
public struct SafeTensorsPayloadCodec: ParameterPayloadCodec {
    public init() {}

    public func encode(flat: [Float], layout: ParameterLayout, metadata: [String: String]) -> [UInt8] {
        SafeTensors.encode(flat: flat, layout: layout, metadata: metadata)
    }

    public func decode(_ bytes: [UInt8], layout: ParameterLayout) throws -> (flat: [Float], metadata: [String: String]) {
        try SafeTensors.decodeFlat(bytes, layout: layout)
    }
}
