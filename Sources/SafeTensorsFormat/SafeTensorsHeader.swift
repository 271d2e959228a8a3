/// The JSON header of a safetensors payload: where each tensor's bytes are and what they hold.
///
/// Parsing validates everything a reader relies on, so the copy that follows can trust it.
struct SafeTensorsHeader {
    /// One tensor's description; `range` is relative to the start of the data section.
    struct Entry {
        let name: String
        let dtype: SafeTensorsDType
        let shape: [Int]
        let count: Int
        let range: Range<Int>
    }

    /// Tensors in data-offset order.
    let entries: [Entry]
    /// `__metadata__`, or empty.
    let metadata: [String: String]
    /// Absolute byte offset of the data section (8 + header length).
    let dataStart: Int

    /// Reads and validates the length prefix and header of `payload`.
    static func parse(_ payload: UnsafeRawBufferPointer) throws(SafeTensorsError) -> SafeTensorsHeader {
        guard payload.count >= 8 else {
            throw SafeTensorsError(.truncated, "payload has \(payload.count) bytes, fewer than the 8-byte header length")
        }
        let announced = UInt64(littleEndian: payload.loadUnaligned(as: UInt64.self))
        guard announced <= UInt64(SafeTensors.maxHeaderLength) else {
            throw SafeTensorsError(.headerTooLarge, "header length \(announced) exceeds \(SafeTensors.maxHeaderLength) bytes")
        }
        let headerLength = Int(announced)
        guard headerLength <= payload.count - 8 else {
            throw SafeTensorsError(.truncated, "header length \(headerLength) runs past the end of a \(payload.count)-byte payload")
        }
        let headerBytes = UnsafeRawBufferPointer(rebasing: payload[8..<8 + headerLength]).assumingMemoryBound(to: UInt8.self)
        let json: JSONValue
        do {
            json = try JSONParser.parse(headerBytes)
        } catch {
            throw SafeTensorsError(.invalidJSON, "header is not valid JSON: \(error.message)", underlying: error)
        }
        guard case .object(let members) = json else {
            throw SafeTensorsError(.invalidHeader, "header is a JSON \(json.kind), not an object")
        }
        let dataStart = 8 + headerLength
        let dataLength = payload.count - dataStart
        var entries: [Entry] = []
        var metadata: [String: String]?
        var seen = Set<String>()
        for (key, value) in members {
            guard seen.insert(key).inserted else {
                throw SafeTensorsError(.duplicateName, "'\(key)' appears twice in the header")
            }
            if key == "__metadata__" {
                metadata = try parseMetadata(value)
            } else {
                entries.append(try parseEntry(name: key, value, dataLength: dataLength))
            }
        }
        entries.sort { ($0.range.lowerBound, $0.range.upperBound) < ($1.range.lowerBound, $1.range.upperBound) }
        for (previous, next) in zip(entries, entries.dropFirst()) where next.range.lowerBound < previous.range.upperBound {
            throw SafeTensorsError(.overlappingData, "bytes of '\(next.name)' overlap those of '\(previous.name)'")
        }
        return SafeTensorsHeader(entries: entries, metadata: metadata ?? [:], dataStart: dataStart)
    }

    private static func parseMetadata(_ value: JSONValue) throws(SafeTensorsError) -> [String: String] {
        guard case .object(let members) = value else {
            throw SafeTensorsError(.invalidMetadata, "__metadata__ is a JSON \(value.kind), not an object")
        }
        var metadata: [String: String] = [:]
        for (key, value) in members {
            guard case .string(let text) = value else {
                throw SafeTensorsError(.invalidMetadata, "__metadata__ value of '\(key)' is a \(value.kind), not a string")
            }
            guard metadata.updateValue(text, forKey: key) == nil else {
                throw SafeTensorsError(.invalidMetadata, "__metadata__ key '\(key)' appears twice")
            }
        }
        return metadata
    }

    private static func parseEntry(name: String, _ value: JSONValue, dataLength: Int) throws(SafeTensorsError) -> Entry {
        guard case .object(let members) = value else {
            throw SafeTensorsError(.invalidHeader, "entry '\(name)' is a JSON \(value.kind), not an object")
        }
        func field(_ key: String) throws(SafeTensorsError) -> JSONValue {
            guard let member = members.first(where: { $0.key == key }) else {
                throw SafeTensorsError(.missingField, "tensor '\(name)' has no '\(key)'")
            }
            return member.value
        }
        guard case .string(let dtypeName) = try field("dtype") else {
            throw SafeTensorsError(.invalidHeader, "dtype of '\(name)' is not a string")
        }
        guard let dtype = SafeTensorsDType(rawValue: dtypeName) else {
            throw SafeTensorsError(.unknownDType, unreadable(dtypeName, of: name))
        }
        let shape = try integers(try field("shape"), what: "shape", of: name, code: .invalidShape)
        var count = 1
        for extent in shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: extent)
            guard !overflow else { throw SafeTensorsError(.invalidShape, "shape \(shape) of '\(name)' overflows") }
            count = product
        }
        let offsets = try integers(try field("data_offsets"), what: "data_offsets", of: name, code: .offsetsOutOfRange)
        guard offsets.count == 2, offsets[0] <= offsets[1], offsets[1] <= dataLength else {
            throw SafeTensorsError(.offsetsOutOfRange,
                                   "data_offsets \(offsets) of '\(name)' are not a range inside the \(dataLength)-byte data section")
        }
        let (bytes, overflow) = count.multipliedReportingOverflow(by: dtype.size)
        guard !overflow, offsets[1] - offsets[0] == bytes else {
            throw SafeTensorsError(.sizeMismatch,
                                   "'\(name)' \(dtypeName) \(shape) needs \(overflow ? "too many" : String(bytes)) bytes, data_offsets give \(offsets[1] - offsets[0])")
        }
        return Entry(name: name, dtype: dtype, shape: shape, count: count, range: offsets[0]..<offsets[1])
    }

    /// Why a tensor of dtype `dtypeName` is not read: integer and boolean tensors (e.g. batch
    /// norm's `num_batches_tracked`) are named as such, since FedMQ never averages them.
    private static func unreadable(_ dtypeName: String, of name: String) -> String {
        let integers: Set<String> = ["I8", "I16", "I32", "I64", "U8", "U16", "U32", "U64", "BOOL"]
        guard integers.contains(dtypeName) else {
            return "tensor '\(name)' has dtype '\(dtypeName)'; only F32, F16, BF16 and F64 are read"
        }
        return "tensor '\(name)' is \(dtypeName), an integer tensor (such as batch norm's num_batches_tracked): "
            + "FedMQ federates floating-point tensors only (F32; F16, BF16 and F64 are read as F32); "
            + "leave it out of the file (the PyTorch helper keeps such buffers local)"
    }

    /// A JSON array of non-negative integers, or an error with `code`.
    private static func integers(_ value: JSONValue, what: String, of name: String,
                                 code: SafeTensorsError.Code) throws(SafeTensorsError) -> [Int] {
        guard case .array(let elements) = value else {
            throw SafeTensorsError(code, "\(what) of '\(name)' is a \(value.kind), not an array")
        }
        var result: [Int] = []
        result.reserveCapacity(elements.count)
        for element in elements {
            guard case .number(_, let integer?) = element, integer >= 0 else {
                throw SafeTensorsError(code, "\(what) of '\(name)' holds a value that is not a non-negative integer")
            }
            result.append(integer)
        }
        return result
    }
}
