import Foundation
import SafeTensorsFormat
import TensorCore
import Testing

/// Whether `python3` can import the reference `safetensors` package and numpy.
private let pythonHasSafeTensors: Bool = {
    (try? runPython(["-c", "import safetensors.numpy, numpy"]))?.status == 0
}()

private func runPython(_ arguments: [String]) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3"] + arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}

/// Reads a file with `safetensors.numpy.load_file` and prints name, dtype, shape, sum and
/// a few values of each tensor, plus the metadata.
private let readerScript = """
import json, sys
from safetensors import safe_open
from safetensors.numpy import load_file
path = sys.argv[1]
tensors = load_file(path)
with safe_open(path, framework="np") as f:
    metadata = f.metadata()
out = {name: [str(t.dtype), list(t.shape), float(t.astype("float64").sum()), [float(x) for x in t.reshape(-1)[:5]]]
       for name, t in tensors.items()}
print(json.dumps({"tensors": out, "metadata": metadata}))
"""

@Suite("SafeTensors × Python") struct SafeTensorsPythonTests {
    @Test("the reference Python safetensors reads our files",
          .enabled(if: pythonHasSafeTensors, "python3 lacks safetensors/numpy (pip install safetensors numpy)"))
    func pythonReadsOurFiles() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("st-py-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/x.safetensors"
        var g = SeededGenerator(seed: 11)
        let tensors = [[5, 3], [7], [2, 1, 4], []].enumerated().map { index, shape in
            NamedTensor(name: "layer\(index).p",
                        tensor: Tensor(shape: shape, storage: (0..<shape.reduce(1, *)).map { _ in g.nextUnitFloat() - 0.5 }))
        }
        try SafeTensors.write(tensors, metadata: ["format": "pt", "round": "5"], to: path)

        let result = try runPython(["-c", readerScript, path])
        try #require(result.status == 0, "python failed: \(result.output)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any])
        #expect(json["metadata"] as? [String: String] == ["format": "pt", "round": "5"])
        let described = try #require(json["tensors"] as? [String: [Any]])
        #expect(Set(described.keys) == Set(tensors.map(\.name)))
        for named in tensors {
            let row = try #require(described[named.name])
            #expect(row[0] as? String == "float32")
            #expect(row[1] as? [Int] == named.tensor.shape)
            let sum = named.tensor.storage.reduce(0.0) { $0 + Double($1) }
            #expect(abs((row[2] as? Double ?? .nan) - sum) < 1e-9)
            #expect((row[3] as? [Double])?.map(Float.init) == Array(named.tensor.storage.prefix(5)))
        }
    }
}
