// The live page and the report are meant for browsers, so their test loads them in one:
// Debian's chromium, headless (as root, as in CI, it needs --no-sandbox). Each call starts a
// fresh browser with its own profile, lets the page's timers run for a while, then dumps the
// DOM or takes a screenshot.
import Foundation

/// Headless Chromium, one process per page load.
struct HeadlessChromium {
    /// The browser executable.
    let path: String

    /// The installed chromium (scripts/install-deps.sh installs it), or nil.
    static func installed() -> HeadlessChromium? {
        ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]
            .first { FileManager.default.isExecutableFile(atPath: $0) }
            .map(HeadlessChromium.init(path:))
    }

    /// The DOM of `url` after `settle` milliseconds of the page's timers (virtual time: the
    /// page's refreshes run, network fetches are real).
    func dom(_ url: String, settle: Int = 5000) throws -> String {
        try run(url, settle: settle, output: ["--dump-dom"]).stdout
    }

    /// Saves a PNG screenshot of `url` (`width` × `height` CSS pixels) to `file`.
    func screenshot(_ url: String, to file: String, width: Int = 1280, height: Int, settle: Int = 5000) throws {
        try? FileManager.default.removeItem(atPath: file)
        _ = try run(url, settle: settle, output: ["--hide-scrollbars", "--window-size=\(width),\(height)", "--screenshot=\(file)"])
        guard FileManager.default.fileExists(atPath: file) else {
            throw ChildCommandError(message: "chromium wrote no screenshot of \(url) to \(file)")
        }
    }

    private func run(_ url: String, settle: Int, output: [String]) throws -> ChildCommand.Result {
        let profile = NSTemporaryDirectory() + "fedmq-chromium-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: profile) }
        let args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                    "--user-data-dir=\(profile)", "--virtual-time-budget=\(settle)"] + output + [url]
        let result = try ChildCommand.run(path, args, timeout: 90)
        guard result.status == 0 else {
            throw ChildCommandError(message: "chromium exited \(result.status) loading \(url): \(result.stderr.suffix(2000))")
        }
        return result
    }
}
