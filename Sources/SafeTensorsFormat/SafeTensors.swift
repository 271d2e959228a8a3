/// Reads and writes the safetensors format (https://github.com/huggingface/safetensors):
/// an 8-byte little-endian header length N, N bytes of JSON header
/// `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {String: String}}`
/// space-padded to 8-byte alignment, then the raw little-endian tensor bytes.
///
/// Writing always produces F32. Reading accepts F32, F16, BF16 and F64 and converts to F32.
/// Malformed input is rejected with a `SafeTensorsError`, never a crash.
public enum SafeTensors {
    /// Longest header accepted, in bytes (the reference implementation's limit).
    public static let maxHeaderLength = 100_000_000

    // MARK: Encoding

    /// Serialises `tensors` (in order) as F32 with `metadata`. Names must be unique and not `__metadata__`.
    public static func encode(_ tensors: [NamedTensor], metadata: [String: String] = [:]) -> [UInt8] {
        let specs = tensors.map { (name: $0.name, shape: $0.tensor.shape) }
        return assemble(specs: specs, metadata: metadata) { data in
            var offset = 0
            for named in tensors {
                named.tensor.withUnsafeBufferPointer { source in
                    storeLittleEndian(source, to: data + offset)
                }
                offset += named.tensor.count * 4
            }
        }
    }

    /// Serialises a model's flat parameter vector (`layout.count` floats) as one F32 tensor per
    /// parameter, in layout order, with a single output allocation and a single copy.
    public static func encode(flat: [Float], layout: ParameterLayout, metadata: [String: String] = [:]) -> [UInt8] {
        precondition(flat.count == layout.count, "flat vector has \(flat.count) floats, layout needs \(layout.count)")
        let specs = layout.parameters.map { (name: $0.name, shape: $0.shape) }
        return assemble(specs: specs, metadata: metadata) { data in
            flat.withUnsafeBufferPointer { storeLittleEndian($0, to: data) }
        }
    }

    /// `encode(flat:layout:metadata:)` into `buffer`, reusing its storage when it is uniquely
    /// referenced and large enough (no allocation or page faults in steady state).
    public static func encode(flat: [Float], layout: ParameterLayout, metadata: [String: String] = [:],
                              into buffer: inout [UInt8]) {
        precondition(flat.count == layout.count, "flat vector has \(flat.count) floats, layout needs \(layout.count)")
        let header = SafeTensorsHeaderWriter.header(for: layout.parameters.map { ($0.name, $0.shape) }, metadata: metadata)
        let total = 8 + header.count + flat.count * 4
        if buffer.count != total {
            buffer.removeAll(keepingCapacity: true)
            buffer.append(contentsOf: repeatElement(0, count: total))
        }
        buffer.withUnsafeMutableBytes { raw in
            let base = raw.baseAddress!
            base.storeBytes(of: UInt64(header.count).littleEndian, as: UInt64.self)
            header.withUnsafeBytes { (base + 8).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
            flat.withUnsafeBufferPointer { storeLittleEndian($0, to: base + 8 + header.count) }
        }
    }

    /// Lays out length prefix and header, then lets `fillData` write the data section in place.
    private static func assemble(specs: [(name: String, shape: [Int])], metadata: [String: String],
                                 fillData: (UnsafeMutableRawPointer) -> Void) -> [UInt8] {
        let header = SafeTensorsHeaderWriter.header(for: specs, metadata: metadata)
        let dataBytes = specs.reduce(0) { $0 + $1.shape.reduce(1, *) * 4 }
        let total = 8 + header.count + dataBytes
        return [UInt8](unsafeUninitializedCapacity: total) { buffer, initialized in
            let base = UnsafeMutableRawPointer(buffer.baseAddress!)
            base.storeBytes(of: UInt64(header.count).littleEndian, as: UInt64.self)
            header.withUnsafeBytes { (base + 8).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
            fillData(base + 8 + header.count)
            initialized = total
        }
    }

    private static func storeLittleEndian(_ source: UnsafeBufferPointer<Float>, to destination: UnsafeMutableRawPointer) {
        guard let base = source.baseAddress else { return }
        #if _endian(little)
        destination.copyMemory(from: base, byteCount: source.count * 4)
        #else
        for i in 0..<source.count {
            destination.storeBytes(of: base[i].bitPattern.littleEndian, toByteOffset: i * 4, as: UInt32.self)
        }
        #endif
    }

    // MARK: Decoding

    /// Parses a whole payload into named F32 tensors (in data-offset order) and metadata.
    public static func decode(_ bytes: [UInt8]) throws(SafeTensorsError) -> SafeTensorsFile {
        try bytes.withUnsafeBytes { raw in Result { () throws(SafeTensorsError) in try decode(raw) } }.get()
    }

    /// The `__metadata__` of a payload (empty if absent), from its header alone: the tensor
    /// data is validated against the header but neither copied nor converted.
    public static func metadata(_ bytes: UnsafeRawBufferPointer) throws(SafeTensorsError) -> [String: String] {
        try SafeTensorsHeader.parse(bytes).metadata
    }

    /// Parses a payload held in borrowed memory (e.g. a received message) without copying it first.
    public static func decode(_ bytes: UnsafeRawBufferPointer) throws(SafeTensorsError) -> SafeTensorsFile {
        let header = try SafeTensorsHeader.parse(bytes)
        let tensors = header.entries.map { entry in
            let storage = [Float](unsafeUninitializedCapacity: entry.count) { buffer, initialized in
                if let destination = buffer.baseAddress {
                    entry.dtype.convert(bytes.baseAddress! + header.dataStart + entry.range.lowerBound,
                                        to: destination, count: entry.count)
                }
                initialized = entry.count
            }
            return NamedTensor(name: entry.name, tensor: Tensor(shape: entry.shape, storage: storage))
        }
        return SafeTensorsFile(tensors: tensors, metadata: header.metadata)
    }

    /// Parses a payload that must hold exactly `layout`'s parameters (names, shapes, F32; any
    /// order in the file) into the model's flat vector, with one allocation and one copy per tensor.
    public static func decodeFlat(_ bytes: [UInt8], layout: ParameterLayout)
        throws(SafeTensorsError) -> (flat: [Float], metadata: [String: String]) {
        try bytes.withUnsafeBytes { raw in
            Result { () throws(SafeTensorsError) in try decodeFlat(raw, layout: layout) }
        }.get()
    }

    /// `decodeFlat` over borrowed memory.
    public static func decodeFlat(_ bytes: UnsafeRawBufferPointer, layout: ParameterLayout)
        throws(SafeTensorsError) -> (flat: [Float], metadata: [String: String]) {
        let plan = try flatPlan(bytes, layout: layout)
        let flat = [Float](unsafeUninitializedCapacity: layout.count) { buffer, initialized in
            copy(bytes, plan, to: buffer)
            initialized = layout.count
        }
        return (flat, plan.metadata)
    }

    /// Validates a payload that must hold exactly `layout`'s parameters (as `decodeFlat`) and
    /// says where each tensor's bytes go in the flat vector, without copying any data.
    public static func flatPlan(_ bytes: UnsafeRawBufferPointer, layout: ParameterLayout)
        throws(SafeTensorsError) -> SafeTensorsFlatPlan {
        let header = try SafeTensorsHeader.parse(bytes)
        let offsets = try flatOffsets(of: header, layout: layout)
        let segments = zip(header.entries, offsets).map { entry, offset in
            SafeTensorsFlatPlan.Segment(payloadOffset: header.dataStart + entry.range.lowerBound, flatOffset: offset, count: entry.count)
        }
        return SafeTensorsFlatPlan(segments: segments, metadata: header.metadata, flatCount: layout.count)
    }

    /// Copies the planned F32 tensors of `bytes` into `flat` (`plan.flatCount` floats).
    private static func copy(_ bytes: UnsafeRawBufferPointer, _ plan: SafeTensorsFlatPlan, to flat: UnsafeMutableBufferPointer<Float>) {
        for segment in plan.segments where segment.count > 0 {
            SafeTensorsDType.f32.convert(bytes.baseAddress! + segment.payloadOffset,
                                         to: flat.baseAddress! + segment.flatOffset, count: segment.count)
        }
    }

    /// `decodeFlat` into `flat` (resized to `layout.count`, storage reused when possible);
    /// returns the metadata. On error `flat` is left unchanged.
    public static func decodeFlat(_ bytes: UnsafeRawBufferPointer, layout: ParameterLayout,
                                  into flat: inout [Float]) throws(SafeTensorsError) -> [String: String] {
        let plan = try flatPlan(bytes, layout: layout)
        if flat.count != layout.count {
            flat.removeAll(keepingCapacity: true)
            flat.append(contentsOf: repeatElement(0, count: layout.count))
        }
        flat.withUnsafeMutableBufferPointer { copy(bytes, plan, to: $0) }
        return plan.metadata
    }

    /// `decodeFlat(_:layout:into:)` over an array.
    public static func decodeFlat(_ bytes: [UInt8], layout: ParameterLayout,
                                  into flat: inout [Float]) throws(SafeTensorsError) -> [String: String] {
        try bytes.withUnsafeBytes { raw in
            Result { () throws(SafeTensorsError) in try decodeFlat(raw, layout: layout, into: &flat) }
        }.get()
    }

    /// The flat-vector offset of each header entry, after checking the entries match `layout`.
    private static func flatOffsets(of header: SafeTensorsHeader, layout: ParameterLayout) throws(SafeTensorsError) -> [Int] {
        var offsets: [Int] = []
        offsets.reserveCapacity(header.entries.count)
        for entry in header.entries {
            guard let index = layout.index(of: entry.name) else {
                throw SafeTensorsError(.layoutMismatch, "tensor '\(entry.name)' is not a parameter of the model")
            }
            let expected = layout.parameters[index].shape
            guard entry.shape == expected else {
                throw SafeTensorsError(.layoutMismatch, "tensor '\(entry.name)' has shape \(entry.shape), the model needs \(expected)")
            }
            guard entry.dtype == .f32 else {
                throw SafeTensorsError(.layoutMismatch, "tensor '\(entry.name)' is \(entry.dtype.rawValue), the model needs F32")
            }
            offsets.append(layout.offsets[index])
        }
        if header.entries.count != layout.parameters.count {
            let present = Set(header.entries.map(\.name))
            let missing = layout.parameters.map(\.name).filter { !present.contains($0) }
            throw SafeTensorsError(.layoutMismatch, "missing parameters: \(missing.joined(separator: ", "))")
        }
        return offsets
    }

    // MARK: Files

    /// Atomically writes `tensors` to `path`: a temporary file in the same directory is
    /// written, fsynced and renamed over `path`, then the directory is fsynced.
    public static func write(_ tensors: [NamedTensor], metadata: [String: String] = [:], to path: String) throws(SafeTensorsError) {
        try AtomicFile.write(encode(tensors, metadata: metadata), to: path)
    }

    /// Atomically writes a flat parameter vector (see `encode(flat:layout:metadata:)`) to `path`.
    public static func write(flat: [Float], layout: ParameterLayout, metadata: [String: String] = [:],
                             to path: String) throws(SafeTensorsError) {
        try AtomicFile.write(encode(flat: flat, layout: layout, metadata: metadata), to: path)
    }

    /// Reads and decodes the file at `path`.
    public static func read(path: String) throws(SafeTensorsError) -> SafeTensorsFile {
        try decode(try AtomicFile.read(path))
    }

    /// Reads the file at `path` into `layout`'s flat vector (see `decodeFlat`).
    public static func readFlat(path: String, layout: ParameterLayout)
        throws(SafeTensorsError) -> (flat: [Float], metadata: [String: String]) {
        try decodeFlat(try AtomicFile.read(path), layout: layout)
    }
}
