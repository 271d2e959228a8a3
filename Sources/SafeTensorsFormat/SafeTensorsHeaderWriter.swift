/// Serialises a safetensors JSON header for F32 tensors stored back to back.
enum SafeTensorsHeaderWriter {
    /// The header bytes, space-padded so that 8 + length is a multiple of 8.
    /// Tensors are laid out in the given order; metadata keys are sorted for reproducible output.
    static func header(for specs: [(name: String, shape: [Int])], metadata: [String: String]) -> [UInt8] {
        precondition(Set(specs.map(\.name)).count == specs.count, "duplicate tensor names")
        precondition(!specs.contains { $0.name == "__metadata__" }, "'__metadata__' is reserved")
        var json = "{"
        var separator = ""
        if !metadata.isEmpty {
            json += "\"__metadata__\":{"
            json += metadata.sorted { $0.key < $1.key }
                .map { quoted($0.key) + ":" + quoted($0.value) }
                .joined(separator: ",")
            json += "}"
            separator = ","
        }
        var offset = 0
        for spec in specs {
            let bytes = spec.shape.reduce(1, *) * 4
            json += separator + quoted(spec.name)
            json += ":{\"dtype\":\"F32\",\"shape\":[" + spec.shape.map(String.init).joined(separator: ",")
            json += "],\"data_offsets\":[\(offset),\(offset + bytes)]}"
            offset += bytes
            separator = ","
        }
        json += "}"
        var bytes = Array(json.utf8)
        let padding = (8 - bytes.count % 8) % 8
        bytes.append(contentsOf: repeatElement(UInt8(ascii: " "), count: padding))
        return bytes
    }

    /// `text` as a JSON string literal.
    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
