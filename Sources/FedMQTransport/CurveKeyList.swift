import FedMQProtocol
import ZeroMQ

/// Parsing of CURVE keys written as Z85 text: one key (a `.key` or `.pub` file, an option
/// value) or a list (an `allowed_keys` file, a comma-separated option value).
///
/// List syntax: keys separated by commas, blanks or newlines; a word that is not a key and
/// starts with `#` begins a comment that runs to the end of the line (`#` is also a Z85
/// character, so a key may contain or even start with it).
public enum CurveKeyList {
    /// One 40-character Z85 key; surrounding blanks and newlines are ignored.
    public static func key(_ text: String, what: String) throws(ConfigurationError) -> CurveKey {
        let trimmed = text.split(whereSeparator: \.isWhitespace).joined()
        do {
            return try CurveKey(z85: trimmed)
        } catch {
            throw ConfigurationError("\(what): \(error.message)", code: "curve_key", underlying: error)
        }
    }

    /// Every key of a list (see the type's documentation); an empty list is an error, since it
    /// would shut every client out.
    public static func keys(_ text: String, what: String) throws(ConfigurationError) -> Set<CurveKey> {
        let keys = try keys(possiblyNone: text, what: what)
        guard !keys.isEmpty else { throw ConfigurationError("\(what): the list holds no key", code: "curve_key") }
        return keys
    }

    /// Every key of a list that may hold none (a list `fedmq keygen` appends to).
    public static func keys(possiblyNone text: String, what: String) throws(ConfigurationError) -> Set<CurveKey> {
        var keys = Set<CurveKey>()
        for line in text.split(whereSeparator: \.isNewline) {
            for word in line.split(whereSeparator: { $0 == "," || $0.isWhitespace }) {
                if word.hasPrefix("#"), word.utf8.count != 40 || (try? CurveKey(z85: String(word))) == nil { break }
                keys.insert(try key(String(word), what: what))
            }
        }
        return keys
    }

    /// A list file's text: one key per line, each followed by `# name`.
    public static func text(_ entries: [(name: String, key: CurveKey)]) -> String {
        entries.map { "\($0.key.z85)  # \($0.name)\n" }.joined()
    }
}
