// `fedmq run` writes each child's command line into the run directory so a user can paste
// it into a shell and start that process by hand. Arguments hold spaces, colons, commas and
// paths chosen by the user, so every word is quoted the one way POSIX shells read back
// unchanged: in single quotes, with each single quote written as '\''.

/// POSIX shell quoting of command-line words.
public enum ShellWords {
    /// `word` as one shell word: unchanged when it holds only characters no shell treats
    /// specially (letters, digits and `-_./:=,+@%`), else in single quotes.
    public static func quote(_ word: String) -> String {
        let plain = !word.isEmpty && word.unicodeScalars.allSatisfy { scalar in
            scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || "-_./:=,+@%".unicodeScalars.contains(scalar))
        }
        return plain ? word : "'" + word.replacingOccurrences(of: "'", with: #"'\''"#) + "'"
    }

    /// The words quoted and joined by spaces: one command line.
    public static func line(_ words: [String]) -> String {
        words.map(quote).joined(separator: " ")
    }
}
