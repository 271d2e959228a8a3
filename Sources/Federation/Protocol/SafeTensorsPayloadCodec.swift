import Foundation
import TensorCore

/// The safetensors format (Hugging Face) for flat Float32 parameter vectors.
///
/// Layout: u64 little-endian header length N, N bytes of UTF-8 JSON
/// `{"__metadata__":{…},"<name>":{"dtype":"F32","shape":[…],"data_offsets":[begin,end]},…}`
/// (padded with spaces to a multiple of 8), then the tensors' little-endian Float32 data,
/// written in `layout` order. Decoding accepts any tensor order but requires exactly the
/// layout's names, dtype F32, the layout's shapes, in-bounds non-overlapping offsets that
/// cover the whole data section.
public struct SafeTensorsPayloadCodec: ParameterPayloadCodec {
    /// Largest accepted JSON header, bytes.
    public var maxHeaderBytes = 1 << 24

    public init() {}

    public func encode(flat: [Float], layout: ParameterLayout, metadata: [String: String]) -> [UInt8] {
        precondition(flat.count == layout.count, "flat vector has \(flat.count) values, layout \(layout.count)")
        var json = "{"
        if !metadata.isEmpty {
            let entries = metadata.keys.sorted().map { "\(Self.quote($0)):\(Self.quote(metadata[$0]!))" }
            json += "\"__metadata__\":{" + entries.joined(separator: ",") + "},"
        }
        json += zip(layout.parameters, layout.offsets).map { spec, offset in
            let begin = offset * 4, end = (offset + spec.count) * 4
            return "\(Self.quote(spec.name)):{\"dtype\":\"F32\",\"shape\":[\(spec.shape.map(String.init).joined(separator: ","))],\"data_offsets\":[\(begin),\(end)]}"
        }.joined(separator: ",")
        json += "}"
        var header = Array(json.utf8)
        while header.count % 8 != 0 { header.append(0x20) }
        var out = [UInt8]()
        out.reserveCapacity(8 + header.count + flat.count * 4)
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { out.append(contentsOf: $0) }
        out += header
        flat.withUnsafeBytes { raw in
            #if _endian(little)
            out.append(contentsOf: raw)
            #else
            for v in flat { withUnsafeBytes(of: v.bitPattern.littleEndian) { out.append(contentsOf: $0) } }
            #endif
        }
        return out
    }

    public func decode(_ bytes: [UInt8], layout: ParameterLayout) throws -> (flat: [Float], metadata: [String: String]) {
        guard bytes.count >= 8 else { throw SafeTensorsError("file of \(bytes.count) bytes has no header length") }
        let n = bytes.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        guard n <= UInt64(maxHeaderBytes), 8 + Int(n) <= bytes.count else {
            throw SafeTensorsError("header length \(n) exceeds the file or the \(maxHeaderBytes)-byte bound")
        }
        let dataStart = 8 + Int(n)
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(bytes[8..<dataStart]))
        } catch {
            throw SafeTensorsError("header is not JSON: \(error.localizedDescription)")
        }
        guard var entries = object as? [String: Any] else { throw SafeTensorsError("header is not a JSON object") }
        let metadata = try Self.metadata(entries.removeValue(forKey: "__metadata__"))
        guard entries.count == layout.parameters.count else {
            throw SafeTensorsError("\(entries.count) tensors, layout has \(layout.parameters.count)")
        }
        let dataCount = bytes.count - dataStart
        var flat = [Float](repeating: 0, count: layout.count)
        var covered = 0
        var ranges: [(Int, Int)] = []
        for (spec, offset) in zip(layout.parameters, layout.offsets) {
            let (begin, end) = try Self.entry(entries[spec.name], spec: spec, dataCount: dataCount)
            ranges.append((begin, end))
            covered += end - begin
            bytes.withUnsafeBytes { raw in
                flat.withUnsafeMutableBytes { dst in
                    dst.baseAddress!.advanced(by: offset * 4)
                        .copyMemory(from: raw.baseAddress!.advanced(by: dataStart + begin), byteCount: end - begin)
                }
            }
        }
        ranges.sort { $0.0 < $1.0 }
        for i in 1..<max(1, ranges.count) where ranges[i].0 < ranges[i - 1].1 {
            throw SafeTensorsError("tensor data ranges overlap")
        }
        guard covered == dataCount else {
            throw SafeTensorsError("tensors cover \(covered) of \(dataCount) data bytes")
        }
        #if !_endian(little)
        flat = flat.map { Float(bitPattern: UInt32(littleEndian: $0.bitPattern)) }
        #endif
        return (flat, metadata)
    }

    private static func entry(_ value: Any?, spec: ParameterSpec, dataCount: Int) throws -> (Int, Int) {
        guard let info = value as? [String: Any] else { throw SafeTensorsError("tensor \(spec.name) missing") }
        guard info["dtype"] as? String == "F32" else {
            throw SafeTensorsError("tensor \(spec.name) dtype \(info["dtype"] ?? "none"), expected F32")
        }
        guard let shape = (info["shape"] as? [Any])?.compactMap({ ($0 as? NSNumber)?.intValue }), shape == spec.shape else {
            throw SafeTensorsError("tensor \(spec.name) shape \(info["shape"] ?? "none"), expected \(spec.shape)")
        }
        guard let offsets = (info["data_offsets"] as? [Any])?.compactMap({ ($0 as? NSNumber)?.intValue }),
              offsets.count == 2, offsets[0] >= 0, offsets[1] <= dataCount, offsets[1] - offsets[0] == spec.count * 4
        else {
            throw SafeTensorsError("tensor \(spec.name) data_offsets \(info["data_offsets"] ?? "none") invalid")
        }
        return (offsets[0], offsets[1])
    }

    private static func metadata(_ value: Any?) throws -> [String: String] {
        guard let value else { return [:] }
        guard let dict = value as? [String: Any] else { throw SafeTensorsError("__metadata__ is not an object") }
        var out: [String: String] = [:]
        for (k, v) in dict {
            guard let s = v as? String else { throw SafeTensorsError("__metadata__ value for \(k) is not a string") }
            out[k] = s
        }
        return out
    }

    private static func quote(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case _ where u.value < 0x20: out += String(format: "\\u%04x", u.value)
            default: out.unicodeScalars.append(u)
            }
        }
        return out + "\""
    }
}

/// A safetensors file that does not match the expected layout.
public struct SafeTensorsError: Error, Sendable, CustomStringConvertible {
    public let code = "safetensors"
    public let message: String
    init(_ message: String) { self.message = message }
    public var description: String { message }
}
