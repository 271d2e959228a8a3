import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
private let streamType = Int32(SOCK_STREAM.rawValue)
#elseif canImport(Darwin)
import Darwin
private let streamType = SOCK_STREAM
#endif

/// A TCP relay on 127.0.0.1 that forwards every connection to `target` and records every
/// byte it moves, both ways — a wiretap between a client and the broker. Plain POSIX sockets,
/// one thread per direction; `stop()` closes everything.
final class TCPRelay: Sendable {
    /// Where clients connect instead of the target: `tcp://127.0.0.1:<port>`.
    let endpoint: String
    private let targetPort: UInt16
    private let listener: Int32
    private let recording = Mutex<[UInt8]>([])
    private let descriptors = Mutex<[Int32]>([])
    private let stopped = Atomic<Bool>(false)

    /// - Parameter target: a `tcp://127.0.0.1:<port>` endpoint.
    init(target: String) throws {
        guard let portText = target.split(separator: ":").last, let port = UInt16(portText) else {
            throw RelayError("cannot parse the port of \(target)")
        }
        targetPort = port
        let fd = socket(AF_INET, streamType, 0)
        guard fd >= 0 else { throw RelayError("socket failed") }
        var address = Self.loopback(port: 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 16) == 0 else { close(fd); throw RelayError("bind/listen failed") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        listener = fd
        endpoint = "tcp://127.0.0.1:\(UInt16(bigEndian: address.sin_port))"
        Thread.detachNewThread { [self] in acceptLoop() }
    }

    /// Every byte relayed so far, both directions interleaved in arrival order.
    var recorded: [UInt8] { recording.withLock { $0 } }

    /// Stops accepting and closes every relayed connection.
    func stop() {
        guard !stopped.exchange(true, ordering: .relaxed) else { return }
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
        for fd in descriptors.withLock({ $0 }) { shutdown(fd, Int32(SHUT_RDWR)) }
    }

    private func acceptLoop() {
        while !stopped.load(ordering: .relaxed) {
            let client = accept(listener, nil, nil)
            guard client >= 0 else { if errno == EINTR { continue } else { return } }
            let upstream = socket(AF_INET, streamType, 0)
            var address = Self.loopback(port: targetPort)
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(upstream, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard connected == 0 else { close(client); close(upstream); continue }
            descriptors.withLock { $0 += [client, upstream] }
            Thread.detachNewThread { [self] in pump(from: client, to: upstream) }
            Thread.detachNewThread { [self] in pump(from: upstream, to: client) }
        }
    }

    /// Copies until either side closes, then shuts both down.
    private func pump(from source: Int32, to destination: Int32) {
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(source, $0.baseAddress!, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }
            recording.withLock { $0 += buffer[0..<count] }
            var sent = 0
            while sent < count {
                let n = buffer.withUnsafeBytes { send(destination, $0.baseAddress! + sent, count - sent, Int32(MSG_NOSIGNAL)) }
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { break }
                sent += n
            }
            guard sent == count else { break }
        }
        shutdown(source, Int32(SHUT_RDWR))
        shutdown(destination, Int32(SHUT_RDWR))
    }

    private static func loopback(port: UInt16) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return address
    }
}

struct RelayError: Error, CustomStringConvertible {
    let code = "relay"
    let message: String
    init(_ message: String) { self.message = message }
    var description: String { message }
}

extension Array where Element == UInt8 {
    /// Whether `needle` occurs as a contiguous run.
    func contains(run needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, needle.count <= count else { return needle.isEmpty }
        let first = needle[0]
        var start = 0
        while start <= count - needle.count {
            guard let index = self[start...(count - needle.count)].firstIndex(of: first) else { return false }
            if self[index..<index + needle.count].elementsEqual(needle) { return true }
            start = index + 1
        }
        return false
    }
}
