import Foundation
import SafeTensorsFormat
import TensorCore
import Testing

/// Builds a raw payload: length prefix (or `length` if given), header text, data bytes.
private func payload(_ header: String, data: [UInt8] = [], length: UInt64? = nil) -> [UInt8] {
    let headerBytes = Array(header.utf8)
    let prefix = withUnsafeBytes(of: (length ?? UInt64(headerBytes.count)).littleEndian) { Array($0) }
    return prefix + headerBytes + data
}

private func randomTensor(_ shape: [Int], seed: UInt64) -> Tensor {
    var g = SeededGenerator(seed: seed)
    return Tensor(shape: shape, storage: (0..<shape.reduce(1, *)).map { _ in g.nextUnitFloat() * 2 - 1 })
}

private let sampleLayout = ParameterLayout([
    ParameterSpec(name: "conv1.weight", shape: [10, 1, 5, 5]),
    ParameterSpec(name: "conv1.bias", shape: [10]),
    ParameterSpec(name: "fc.weight", shape: [3, 7]),
    ParameterSpec(name: "fc.bias", shape: [3]),
])

/// A malformed payload and the error it must produce.
struct MalformedCase: Sendable, CustomTestStringConvertible {
    let label: String
    let bytes: [UInt8]
    let code: SafeTensorsError.Code
    var testDescription: String { label }

    init(_ label: String, _ bytes: [UInt8], _ code: SafeTensorsError.Code) {
        self.label = label
        self.bytes = bytes
        self.code = code
    }

    init(_ label: String, header: String, dataCount: Int = 16, _ code: SafeTensorsError.Code) {
        self.init(label, payload(header, data: [UInt8](repeating: 0, count: dataCount)), code)
    }
}

private func tensorEntry(_ name: String = "t", dtype: String = "\"F32\"", shape: String = "[2]", offsets: String = "[0,8]") -> String {
    "\"\(name)\":{\"dtype\":\(dtype),\"shape\":\(shape),\"data_offsets\":\(offsets)}"
}

private let malformedCases: [MalformedCase] = [
    MalformedCase("shorter than the length prefix", [1, 2, 3], .truncated),
    MalformedCase("empty", [], .truncated),
    MalformedCase("header length beyond the file", payload("{}", length: 100), .truncated),
    MalformedCase("header length near UInt64.max", payload("{}", length: .max), .headerTooLarge),
    MalformedCase("header length over the limit", payload("{}", length: 1 << 40), .headerTooLarge),
    MalformedCase("invalid JSON", header: "{not json", .invalidJSON),
    MalformedCase("trailing garbage", header: "{} x", .invalidJSON),
    MalformedCase("unterminated string", header: "{\"abc", .invalidJSON),
    MalformedCase("invalid UTF-8", payload("{\"", data: [0xFF, 0x22, 0x3A, 0x31, 0x7D]), .invalidJSON),
    MalformedCase("hostile nesting", header: String(repeating: "[", count: 10_000), .invalidJSON),
    MalformedCase("header is an array", header: "[1,2]", .invalidHeader),
    MalformedCase("entry is a number", header: "{\"t\":3}", .invalidHeader),
    MalformedCase("dtype is a number", header: "{\(tensorEntry(dtype: "4"))}", .invalidHeader),
    MalformedCase("missing dtype", header: #"{"t":{"shape":[2],"data_offsets":[0,8]}}"#, .missingField),
    MalformedCase("missing shape", header: #"{"t":{"dtype":"F32","data_offsets":[0,8]}}"#, .missingField),
    MalformedCase("missing data_offsets", header: #"{"t":{"dtype":"F32","shape":[2]}}"#, .missingField),
    MalformedCase("unknown dtype", header: "{\(tensorEntry(dtype: "\"Q7\""))}", .unknownDType),
    MalformedCase("integer dtype", header: "{\(tensorEntry(dtype: "\"I64\"", shape: "[1]"))}", .unknownDType),
    MalformedCase("negative extent", header: "{\(tensorEntry(shape: "[-2]"))}", .invalidShape),
    MalformedCase("fractional extent", header: "{\(tensorEntry(shape: "[2.5]"))}", .invalidShape),
    MalformedCase("extent beyond Int", header: "{\(tensorEntry(shape: "[99999999999999999999]"))}", .invalidShape),
    MalformedCase("shape product overflows", header: "{\(tensorEntry(shape: "[4611686018427387904,4]"))}", .invalidShape),
    MalformedCase("shape not an array", header: "{\(tensorEntry(shape: "2"))}", .invalidShape),
    MalformedCase("offsets past the data", header: "{\(tensorEntry(shape: "[8]", offsets: "[0,32]"))}", .offsetsOutOfRange),
    MalformedCase("offsets reversed", header: "{\(tensorEntry(offsets: "[8,0]"))}", .offsetsOutOfRange),
    MalformedCase("negative offset", header: "{\(tensorEntry(offsets: "[-8,0]"))}", .offsetsOutOfRange),
    MalformedCase("three offsets", header: "{\(tensorEntry(offsets: "[0,4,8]"))}", .offsetsOutOfRange),
    MalformedCase("byte count too small", header: "{\(tensorEntry(shape: "[3]"))}", .sizeMismatch),
    MalformedCase("byte count too large", header: "{\(tensorEntry(shape: "[1]"))}", .sizeMismatch),
    MalformedCase("byte count overflows", header: "{\(tensorEntry(shape: "[4611686018427387904]"))}", .sizeMismatch),
    MalformedCase("overlapping ranges",
                  header: "{\(tensorEntry("a")),\(tensorEntry("b", offsets: "[4,12]"))}", .overlappingData),
    MalformedCase("duplicate names", header: "{\(tensorEntry()),\(tensorEntry(offsets: "[8,16]"))}", .duplicateName),
    MalformedCase("non-string metadata value", header: #"{"__metadata__":{"a":1}}"#, .invalidMetadata),
    MalformedCase("metadata not an object", header: #"{"__metadata__":"x"}"#, .invalidMetadata),
]

@Suite("SafeTensors") struct SafeTensorsTests {
    @Test("encode → decode keeps names, order, shapes, values and metadata")
    func roundTrip() throws {
        let tensors = [
            NamedTensor(name: "b.weight", tensor: randomTensor([4, 3], seed: 1)),
            NamedTensor(name: "a.bias", tensor: randomTensor([4], seed: 2)),
            NamedTensor(name: "scalar", tensor: randomTensor([], seed: 3)),
            NamedTensor(name: "empty", tensor: Tensor.zeros([0, 3])),
            NamedTensor(name: "uni\"code\\ é", tensor: randomTensor([1, 2, 1], seed: 4)),
        ]
        let metadata = ["format": "pt", "round": "17", "note": "quote \" slash \\ newline \n tab \t ü"]
        let file = try SafeTensors.decode(SafeTensors.encode(tensors, metadata: metadata))
        #expect(file.tensors == tensors)
        #expect(file.metadata == metadata)
        #expect(file.tensor(named: "a.bias") == tensors[1].tensor)
        #expect(file.tensor(named: "missing") == nil)
    }

    @Test("header is space-padded so the data section starts 8-byte aligned", arguments: 1...9)
    func alignment(nameLength: Int) throws {
        let name = String(repeating: "x", count: nameLength)
        let bytes = SafeTensors.encode([NamedTensor(name: name, tensor: randomTensor([2], seed: 5))])
        let headerLength = bytes.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        #expect(headerLength % 8 == 0)
        #expect(bytes.count == 8 + headerLength + 8)
        let header = bytes[8..<8 + headerLength]
        #expect(header.last == UInt8(ascii: " ") || header.last == UInt8(ascii: "}"))
        #expect(try SafeTensors.decode(bytes).tensors.first?.name == name)
    }

    @Test("flat encode/decode round-trips a layout and matches the per-tensor encoding")
    func flatRoundTrip() throws {
        var g = SeededGenerator(seed: 6)
        let flat = (0..<sampleLayout.count).map { _ in g.nextUnitFloat() }
        let bytes = SafeTensors.encode(flat: flat, layout: sampleLayout, metadata: ["round": "3"])
        let decoded = try SafeTensors.decodeFlat(bytes, layout: sampleLayout)
        #expect(decoded.flat == flat)
        #expect(decoded.metadata == ["round": "3"])

        let file = try SafeTensors.decode(bytes)
        #expect(file.tensors.map(\.name) == sampleLayout.parameters.map(\.name))
        for (spec, offset) in zip(sampleLayout.parameters, sampleLayout.offsets) {
            let expected = Tensor(shape: spec.shape, storage: Array(flat[offset..<offset + spec.count]))
            #expect(file.tensor(named: spec.name) == expected)
        }
        #expect(SafeTensors.encode(file.tensors, metadata: file.metadata) == bytes)
    }

    @Test("encode(into:) and decodeFlat(into:) match the allocating forms and reuse the buffers")
    func reusedBuffers() throws {
        var g = SeededGenerator(seed: 12)
        var payload: [UInt8] = []
        var decoded: [Float] = []
        for round in 0..<3 {
            let flat = (0..<sampleLayout.count).map { _ in g.nextUnitFloat() }
            let metadata = ["round": String(round)]
            SafeTensors.encode(flat: flat, layout: sampleLayout, metadata: metadata, into: &payload)
            #expect(payload == SafeTensors.encode(flat: flat, layout: sampleLayout, metadata: metadata))
            let payloadBase = payload.withUnsafeBytes { $0.baseAddress }
            let decodedBase = decoded.withUnsafeBufferPointer { $0.baseAddress }
            #expect(try SafeTensors.decodeFlat(payload, layout: sampleLayout, into: &decoded) == metadata)
            #expect(decoded == flat)
            if round > 0 {
                #expect(decoded.withUnsafeBufferPointer { $0.baseAddress } == decodedBase, "decode reused storage")
                SafeTensors.encode(flat: flat, layout: sampleLayout, metadata: metadata, into: &payload)
                #expect(payload.withUnsafeBytes { $0.baseAddress } == payloadBase, "encode reused storage")
            }
        }
        let before = decoded
        let wrong = ParameterLayout([ParameterSpec(name: "conv1.weight", shape: [10, 1, 5, 5])])
        #expect(throws: SafeTensorsError.self) { try SafeTensors.decodeFlat(payload, layout: wrong, into: &decoded) }
        #expect(decoded == before, "failed decode leaves the buffer unchanged")
    }

    @Test("decodeFlat accepts the layout's tensors in any file order")
    func flatAnyOrder() throws {
        var g = SeededGenerator(seed: 7)
        let flat = (0..<sampleLayout.count).map { _ in g.nextUnitFloat() }
        let file = try SafeTensors.decode(SafeTensors.encode(flat: flat, layout: sampleLayout))
        let shuffled = SafeTensors.encode(file.tensors.reversed())
        #expect(try SafeTensors.decodeFlat(shuffled, layout: sampleLayout).flat == flat)
    }

    @Test("decodeFlat rejects files that do not match the layout, naming the tensor")
    func flatMismatch() throws {
        let good = try SafeTensors.decode(
            SafeTensors.encode(flat: [Float](repeating: 1, count: sampleLayout.count), layout: sampleLayout)).tensors
        let cases: [([NamedTensor], String)] = [
            (Array(good.dropLast()), "fc.bias"),
            (good + [NamedTensor(name: "extra", tensor: Tensor.zeros([1]))], "extra"),
            (good.map { $0.name == "fc.weight" ? NamedTensor(name: $0.name, tensor: Tensor.zeros([7, 3])) : $0 }, "fc.weight"),
        ]
        for (tensors, culprit) in cases {
            let error = #expect(throws: SafeTensorsError.self) {
                try SafeTensors.decodeFlat(SafeTensors.encode(tensors), layout: sampleLayout)
            }
            #expect(error?.code == .layoutMismatch)
            #expect(error?.message.contains(culprit) == true, "\(String(describing: error))")
        }
        let f64 = payload(#"{"w":{"dtype":"F64","shape":[1],"data_offsets":[0,8]}}"#, data: [UInt8](repeating: 0, count: 8))
        let error = #expect(throws: SafeTensorsError.self) {
            try SafeTensors.decodeFlat(f64, layout: ParameterLayout([ParameterSpec(name: "w", shape: [1])]))
        }
        #expect(error?.code == .layoutMismatch && error?.message.contains("F64") == true)
    }

    @Test("F16, BF16 and F64 tensors are converted to F32")
    func otherDTypes() throws {
        // F16: 1.0 = 0x3C00, -2.5 = 0xC100, smallest subnormal 0x0001 = 2^-24; BF16: 1.0 = 0x3F80, -3 = 0xC040.
        let f16: [UInt8] = [0x00, 0x3C, 0x00, 0xC1, 0x01, 0x00, 0x00, 0x7C]
        let bf16: [UInt8] = [0x80, 0x3F, 0x40, 0xC0]
        let f64 = withUnsafeBytes(of: (0.1 as Double).bitPattern.littleEndian) { Array($0) }
        let header = #"{"h":{"dtype":"F16","shape":[4],"data_offsets":[0,8]},"#
            + #""b":{"dtype":"BF16","shape":[2],"data_offsets":[8,12]},"#
            + #""d":{"dtype":"F64","shape":[1],"data_offsets":[12,20]}}"#
        let file = try SafeTensors.decode(payload(header, data: f16 + bf16 + f64))
        #expect(file.tensor(named: "h")?.storage == [1, -2.5, 0x1p-24, .infinity])
        #expect(file.tensor(named: "b")?.storage == [1, -3])
        #expect(file.tensor(named: "d")?.storage == [Float(0.1)])
    }

    @Test("malformed payloads are rejected with the matching error code", arguments: malformedCases)
    func malformed(_ testCase: MalformedCase) {
        let error = #expect(throws: SafeTensorsError.self) { try SafeTensors.decode(testCase.bytes) }
        #expect(error?.code == testCase.code, "\(String(describing: error))")
        #expect(error.map { !$0.description.isEmpty } == true)
    }

    @Test("a 16M-float (64 MB) tensor round-trips, flat and named")
    func largeRoundTrip() throws {
        let count = 16 * 1024 * 1024
        var values = [Float](repeating: 0, count: count)
        values.withUnsafeMutableBufferPointer { p in
            for i in stride(from: 0, to: count, by: 4099) { p[i] = Float(i) }
        }
        let layout = ParameterLayout([ParameterSpec(name: "big", shape: [4096, 4096])])
        let bytes = SafeTensors.encode(flat: values, layout: layout)
        #expect(bytes.count == 8 + (bytes.count - 8 - count * 4) + count * 4)
        let flat = try SafeTensors.decodeFlat(bytes, layout: layout).flat
        #expect(flat.withUnsafeBytes { a in values.withUnsafeBytes { b in memcmp(a.baseAddress!, b.baseAddress!, a.count) == 0 } })
        let named = try SafeTensors.decode(bytes)
        #expect(named.tensors.first?.tensor.shape == [4096, 4096])
        #expect(named.tensors.first?.tensor.storage[4099 * 100] == Float(4099 * 100))
    }

    @Test("write is atomic-replace and read returns what was written")
    func fileRoundTrip() throws {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("safetensors-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/model.safetensors"

        let first = [NamedTensor(name: "w", tensor: randomTensor([3, 3], seed: 8))]
        try SafeTensors.write(first, metadata: ["v": "1"], to: path)
        #expect(try SafeTensors.read(path: path) == SafeTensorsFile(tensors: first, metadata: ["v": "1"]))

        var g = SeededGenerator(seed: 9)
        let flat = (0..<sampleLayout.count).map { _ in g.nextUnitFloat() }
        try SafeTensors.write(flat: flat, layout: sampleLayout, metadata: ["v": "2"], to: path)
        let reread = try SafeTensors.readFlat(path: path, layout: sampleLayout)
        #expect(reread.flat == flat && reread.metadata == ["v": "2"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["model.safetensors"])

        let missingDirectory = #expect(throws: SafeTensorsError.self) {
            try SafeTensors.write(first, to: directory + "/no/such/dir/x.safetensors")
        }
        #expect(missingDirectory?.code == .io)
        let missingFile = #expect(throws: SafeTensorsError.self) { try SafeTensors.read(path: directory + "/absent") }
        #expect(missingFile?.code == .io)
        let notAFile = #expect(throws: SafeTensorsError.self) { try SafeTensors.read(path: directory) }
        #expect(notAFile?.code == .io)
    }
}
