import FedMQProtocol
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Finds unused TCP ports on the loopback interface by binding to port 0.
public enum FreePorts {
    /// `count` distinct free ports on 127.0.0.1. They are free when returned; another
    /// process could still take one before it is bound again (unlikely on a quiet machine).
    /// - Throws: `ConfigurationError` if the operating system refuses a socket.
    public static func reserve(_ count: Int) throws(ConfigurationError) -> [Int] {
        var sockets: [Int32] = []
        defer { sockets.forEach { _ = close($0) } }
        var ports: [Int] = []
        for _ in 0..<count {
            let (fd, port) = try bindEphemeral()
            sockets.append(fd)  // held open until all are chosen, so they are distinct
            ports.append(port)
        }
        return ports
    }

    private static func bindEphemeral() throws(ConfigurationError) -> (Int32, Int) {
        #if canImport(Glibc)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { throw ConfigurationError("cannot create a socket (errno \(errno))", code: "free_port") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                bind(fd, raw, length) == 0 && getsockname(fd, raw, &length) == 0
            }
        }
        guard bound else {
            _ = close(fd)
            throw ConfigurationError("cannot bind a loopback port (errno \(errno))", code: "free_port")
        }
        return (fd, Int(UInt16(bigEndian: address.sin_port)))
    }
}
