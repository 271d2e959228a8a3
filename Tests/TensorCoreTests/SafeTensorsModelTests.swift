// Tests of SafeTensorsModel, the aggregator's --initial-model reader: the layout and weights
// come from the file (names, shapes, data order), other float dtypes are converted by the
// documented rule, and files it cannot federate are refused with a reason naming the problem.
import Foundation
import SafeTensorsFormat
import Testing

/// A safetensors file from raw entries `(name, dtype, shape, little-endian bytes)`, data in the given order.
private func modelFile(_ entries: [(name: String, dtype: String, shape: [Int], bytes: [UInt8])]) -> [UInt8] {
    var offset = 0
    var fields: [String] = []
    for entry in entries {
        fields.append("\"\(entry.name)\":{\"dtype\":\"\(entry.dtype)\",\"shape\":\(entry.shape),\"data_offsets\":[\(offset),\(offset + entry.bytes.count)]}")
        offset += entry.bytes.count
    }
    let header = Array("{\(fields.joined(separator: ","))}".utf8)
    let length = withUnsafeBytes(of: UInt64(header.count).littleEndian) { Array($0) }
    return length + header + entries.flatMap(\.bytes)
}

private func littleEndian<T: FixedWidthInteger>(_ values: [T]) -> [UInt8] {
    values.flatMap { value in withUnsafeBytes(of: value.littleEndian) { Array($0) } }
}

private func float32(_ values: [Float]) -> [UInt8] { littleEndian(values.map(\.bitPattern)) }

@Suite struct SafeTensorsModelTests {
    @Test func theLayoutFollowsTheFilesNamesShapesAndDataOrder() throws {
        let bytes = SafeTensors.encode([
            NamedTensor(name: "lstm.weight_ih_l0", tensor: Tensor(shape: [4, 2], storage: (0..<8).map(Float.init))),
            NamedTensor(name: "head.bias", tensor: Tensor(shape: [3], storage: [-1, 0.5, 2])),
            NamedTensor(name: "scale", tensor: Tensor(shape: [], storage: [7])),
        ])
        let model = try SafeTensorsModel(bytes: bytes)
        #expect(model.layout.parameters == [ParameterSpec(name: "lstm.weight_ih_l0", shape: [4, 2]),
                                            ParameterSpec(name: "head.bias", shape: [3]),
                                            ParameterSpec(name: "scale", shape: [])])
        #expect(model.weights == (0..<8).map(Float.init) + [-1, 0.5, 2, 7])
        #expect(model.layout.count == 12 && model.converted.isEmpty)
        #expect(model.layout.fingerprint == ParameterLayout(model.layout.parameters).fingerprint)
    }

    @Test func halfBFloatAndDoubleTensorsAreConvertedToFloat32AndListed() throws {
        let bytes = modelFile([
            ("a", "F16", [3], littleEndian([UInt16(0x3C00), 0xC000, 0x3800])),  // 1, -2, 0.5
            ("b", "BF16", [2], littleEndian([UInt16(0x3F80), 0xC040])),  // 1, -3
            ("c", "F64", [1], littleEndian([Double(0.1).bitPattern])),
            ("d", "F32", [1], float32([4])),
        ])
        let model = try SafeTensorsModel(bytes: bytes)
        #expect(model.weights == [1, -2, 0.5, 1, -3, Float(0.1), 4])
        #expect(model.converted == ["a": "F16", "b": "BF16", "c": "F64"])
    }

    @Test func anIntegerBufferIsRefusedNamingTheTensor() {
        let bytes = modelFile([("bn.weight", "F32", [2], float32([1, 1])),
                               ("bn.num_batches_tracked", "I64", [], littleEndian([Int64(12)]))])
        let error = #expect(throws: SafeTensorsError.self) { try SafeTensorsModel(bytes: bytes) }
        #expect(error?.code == .unknownDType)
        #expect(error?.message.contains("'bn.num_batches_tracked' is I64, an integer tensor") == true)
    }

    @Test(arguments: [
        ("no tensor", modelFile([]), SafeTensorsError.Code.emptyModel, "no tensor"),
        ("NaN", modelFile([("w", "F32", [2], float32([1, .nan]))]), .nonFiniteValue, "'w' holds nan at index 1"),
        ("infinity in F16", modelFile([("h", "F16", [1], littleEndian([UInt16(0x7C00)]))]), .nonFiniteValue, "'h' holds inf"),
        ("cut short", Array(modelFile([("w", "F32", [4], float32([1, 2, 3, 4]))]).dropLast(3)), .offsetsOutOfRange, "'w'"),
        ("not safetensors", Array("PK\u{3}\u{4} a zip file".utf8), .headerTooLarge, "header length"),
    ])
    func aFileItCannotFederateIsRefusedWithTheReason(label: String, bytes: [UInt8], code: SafeTensorsError.Code, phrase: String) {
        let error = #expect(throws: SafeTensorsError.self, "\(label)") { try SafeTensorsModel(bytes: bytes) }
        #expect(error?.code == code, "\(label)")
        #expect(error?.message.contains(phrase) == true, "\(label): \(error?.message ?? "")")
    }

    @Test func aMissingFileIsAnIOError() {
        let error = #expect(throws: SafeTensorsError.self) {
            try SafeTensorsModel.read(path: "/nonexistent/fedmq-\(UInt64.random(in: 0 ... .max)).safetensors")
        }
        #expect(error?.code == .io)
    }

    @Test func weightsAreReorderedIntoAnotherLayoutWithTheSameTensors() throws {
        let model = try SafeTensorsModel(bytes: modelFile([("b", "F32", [2], float32([3, 4])), ("a", "F32", [1], float32([9]))]))
        let swift = ParameterLayout([ParameterSpec(name: "a", shape: [1]), ParameterSpec(name: "b", shape: [2])])
        #expect(try model.weights(in: swift) == [9, 3, 4])
        #expect(model.differences(from: swift).isEmpty)
    }

    @Test func aLayoutWithOtherTensorsIsRefusedListingEachDifference() throws {
        let model = try SafeTensorsModel(bytes: modelFile([("b", "F32", [2], float32([3, 4])), ("extra", "F32", [1], float32([9]))]))
        let swift = ParameterLayout([ParameterSpec(name: "a", shape: [1]), ParameterSpec(name: "b", shape: [1, 2])])
        let error = #expect(throws: SafeTensorsError.self) { try model.weights(in: swift) }
        #expect(error?.code == .layoutMismatch)
        #expect(model.differences(from: swift) == ["not in the file: a", "only in the file: extra", "'b' is [2] in the file, [1, 2] in the model"])
    }
}
