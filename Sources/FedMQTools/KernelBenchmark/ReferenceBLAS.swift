#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The system's OpenBLAS `cblas_sgemm`, loaded at run time (no build dependency) and pinned to
/// one thread; only for comparison in benchmarks.
public enum ReferenceBLAS {
    private typealias CblasSgemm = @convention(c) (
        Int32, Int32, Int32, Int32, Int32, Int32, Float,
        UnsafePointer<Float>, Int32, UnsafePointer<Float>, Int32, Float,
        UnsafeMutablePointer<Float>, Int32
    ) -> Void
    private typealias SetThreads = @convention(c) (Int32) -> Void

    /// OpenBLAS's sgemm as a `GemmBenchmark.Kernel`, or nil when libopenblas cannot be loaded.
    public static func openBLAS() -> GemmBenchmark.Kernel? {
        setenv("OPENBLAS_NUM_THREADS", "1", 0)
        let names = ["libopenblas.so.0", "libopenblas.so", "libopenblas.dylib"]
        guard let handle = names.lazy.compactMap({ dlopen($0, RTLD_NOW) }).first,
              let symbol = dlsym(handle, "cblas_sgemm") else { return nil }
        if let threads = dlsym(handle, "openblas_set_num_threads") {
            unsafeBitCast(threads, to: SetThreads.self)(1)
        }
        let sgemm = unsafeBitCast(symbol, to: CblasSgemm.self)
        let rowMajor: Int32 = 101, noTrans: Int32 = 111, trans: Int32 = 112
        return { ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc in
            sgemm(rowMajor, ta ? trans : noTrans, tb ? trans : noTrans, Int32(m), Int32(n), Int32(k),
                  alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
        }
    }
}
