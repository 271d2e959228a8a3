#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Per-thread packing buffers for `Gemm`, grown on demand and reused across calls,
/// so a GEMM performs no heap allocation once warm.
///
/// Each thread gets its own instance through a pthread key; the key's destructor
/// releases it when the thread exits.
final class GemmScratch {
    /// Packed panel of op(A): up to `Gemm.mc × Gemm.kc` floats, 64-byte aligned.
    private(set) var packedA: UnsafeMutablePointer<Float>
    /// Packed panel of op(B): up to `Gemm.kc × Gemm.nc` floats, 64-byte aligned.
    private(set) var packedB: UnsafeMutablePointer<Float>
    /// One micro-tile (`mr × nr` floats) for partial tiles at the right edge of C.
    let tile: UnsafeMutablePointer<Float>
    private var capacityA = 0
    private var capacityB = 0

    private init() {
        packedA = Self.allocate(0)
        packedB = Self.allocate(0)
        tile = Self.allocate(Gemm.mr * Gemm.nr)
    }

    deinit {
        packedA.deallocate()
        packedB.deallocate()
        tile.deallocate()
    }

    /// Makes `packedA` hold at least `a` floats and `packedB` at least `b` floats.
    func reserve(a: Int, b: Int) {
        if a > capacityA {
            packedA.deallocate()
            packedA = Self.allocate(a)
            capacityA = a
        }
        if b > capacityB {
            packedB.deallocate()
            packedB = Self.allocate(b)
            capacityB = b
        }
    }

    private static func allocate(_ count: Int) -> UnsafeMutablePointer<Float> {
        UnsafeMutableRawPointer.allocate(byteCount: max(count, 16) * MemoryLayout<Float>.stride, alignment: 64)
            .bindMemory(to: Float.self, capacity: max(count, 16))
    }

    /// The calling thread's scratch, created on first use.
    static var current: GemmScratch {
        if let raw = pthread_getspecific(key) {
            return Unmanaged<GemmScratch>.fromOpaque(raw).takeUnretainedValue()
        }
        let scratch = GemmScratch()
        pthread_setspecific(key, Unmanaged.passRetained(scratch).toOpaque())
        return scratch
    }

    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        let status = pthread_key_create(&key) { raw in
            #if canImport(Darwin)
            Unmanaged<GemmScratch>.fromOpaque(raw).release()
            #else
            if let raw { Unmanaged<GemmScratch>.fromOpaque(raw).release() }
            #endif
        }
        precondition(status == 0, "pthread_key_create failed: \(status)")
        return key
    }()
}
