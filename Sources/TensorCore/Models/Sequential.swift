import SafeTensorsFormat

/// A chain of layers trained as one model, with all parameters in ONE flat vector and all
/// gradients in another (layers address their slices by offset), in PyTorch state_dict order.
///
/// Activation and gradient buffers are owned by the model and sized for the largest batch seen,
/// so a training step at a steady batch size allocates nothing. Not thread-safe: use one model
/// per thread (it is a reference type holding scratch memory).
public final class Sequential {
    /// The layers, first to last.
    public let layers: [any Layer]
    /// Shape of one input sample, e.g. `[1, 28, 28]`.
    public let inputShape: [Int]
    /// Shape of one output sample, e.g. `[10]`.
    public let outputShape: [Int]
    /// Names (`conv1.weight`, …), shapes and flat offsets of every parameter.
    public let layout: ParameterLayout
    /// All parameters, concatenated in `layout` order (row-major each).
    public private(set) var parameters: [Float]
    /// `∂loss/∂parameters` from the last `backward`, same layout as `parameters`.
    public private(set) var gradients: [Float]

    /// Elements per sample of the input (index 0) and of each layer's output.
    private let sampleSizes: [Int]
    /// Start of each layer's slice in `parameters`/`gradients`.
    private let layerOffsets: [Int]
    /// Index of the first layer with parameters: no layer before it needs an input gradient.
    private let firstTrainable: Int
    private var workspace = Workspace()
    /// Batch of the last forward pass (0: none since the last parameter change of shape).
    private var forwardBatch = 0

    /// Configures `layers` for samples of `inputShape` and initialises every parameter with
    /// PyTorch's default init, drawn from `SeededGenerator(seed:)` in layer order.
    ///
    /// - Throws: `ModelError.invalidArgument` for no layers, `.shapeMismatch` if a layer does not
    ///   accept its input shape.
    public init(_ layers: [any Layer], inputShape: [Int], seed: UInt64) throws {
        guard !layers.isEmpty else { throw ModelError(.invalidArgument, "a model needs at least one layer") }
        guard !inputShape.isEmpty, inputShape.allSatisfy({ $0 > 0 }) else {
            throw ModelError(.shapeMismatch, "input shape \(inputShape) must be non-empty and positive")
        }
        var shape = inputShape
        var sizes = [shape.reduce(1, *)]
        var specs: [ParameterSpec] = []
        var offsets: [Int] = []
        var offset = 0
        for layer in layers {
            shape = try layer.configure(inputShape: shape)
            sizes.append(shape.reduce(1, *))
            offsets.append(offset)
            for spec in layer.parameterSpecs {
                specs.append(ParameterSpec(name: "\(layer.name).\(spec.name)", shape: spec.shape))
                offset += spec.count
            }
        }
        self.layers = layers
        self.inputShape = inputShape
        self.outputShape = shape
        self.layout = ParameterLayout(specs)
        self.sampleSizes = sizes
        self.layerOffsets = offsets
        self.firstTrainable = layers.firstIndex { !$0.parameterSpecs.isEmpty } ?? layers.count
        parameters = [Float](repeating: 0, count: offset)
        gradients = [Float](repeating: 0, count: offset)
        initialize(seed: seed)
    }

    deinit { workspace.release() }

    /// Re-draws every parameter with PyTorch's default init from `SeededGenerator(seed:)`.
    public func initialize(seed: UInt64) {
        var generator = SeededGenerator(seed: seed)
        let ends = layers.indices.map(layerEnd)
        parameters.withUnsafeMutableBufferPointer { all in
            for (index, layer) in layers.enumerated() {
                let slice = UnsafeMutableBufferPointer(rebasing: all[layerOffsets[index]..<ends[index]])
                layer.initialize(slice, generator: &generator)
            }
        }
    }

    // MARK: Parameters

    /// Replaces all parameters with `flat` (layout order).
    /// - Throws: `ModelError.parameterCountMismatch` if `flat.count != layout.count`.
    public func load(flat: [Float]) throws {
        guard flat.count == layout.count else {
            throw ModelError(.parameterCountMismatch, "expected \(layout.count) parameters, got \(flat.count)")
        }
        parameters = flat
    }

    /// Sets every gradient to zero.
    public func zeroGradients() {
        gradients.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
    }

    /// Applies one optimizer step to the parameters using the current gradients.
    public func step(_ optimizer: inout some Optimizer) {
        optimizer.step(parameters: &parameters, gradients: gradients)
    }

    // MARK: Forward and backward

    /// Runs the model on `input` `[batch] + inputShape` and returns the output `[batch] + outputShape`
    /// (log-probabilities for the classifiers). `training` enables dropout.
    /// - Throws: `ModelError.shapeMismatch` for a wrongly shaped input.
    public func forward(_ input: Tensor, training: Bool) throws -> Tensor {
        let batch = try batchSize(of: input)
        input.withUnsafeBufferPointer { forward(images: $0.baseAddress!, batch: batch, training: training) }
        return Tensor(shape: [batch] + outputShape,
                      storage: Array(UnsafeBufferPointer(start: workspace.activations[layers.count], count: batch * outputSize)))
    }

    /// Back-propagates `outputGradient` (`∂loss/∂output`, shape of the last `forward`'s output) and
    /// ACCUMULATES the parameter gradients into `gradients` (call `zeroGradients()` first to overwrite).
    /// Returns `∂loss/∂input`.
    /// - Throws: `ModelError.shapeMismatch` if the shape differs from the last forward's output.
    @discardableResult
    public func backward(_ outputGradient: Tensor) throws -> Tensor {
        guard forwardBatch > 0, outputGradient.shape == [forwardBatch] + outputShape else {
            throw ModelError(.shapeMismatch,
                             "output gradient \(outputGradient.shape) does not match the last forward output [\(forwardBatch)] + \(outputShape)")
        }
        let batch = forwardBatch
        outputGradient.withUnsafeBufferPointer {
            workspace.gradientOut.update(from: $0.baseAddress!, count: batch * outputSize)
        }
        backward(batch: batch, inputGradient: true)
        return Tensor(shape: [batch] + inputShape,
                      storage: Array(UnsafeBufferPointer(start: workspace.gradientOut, count: batch * sampleSizes[0])))
    }

    /// Zeroes the gradients, runs forward (training mode) and backward for the mean NLL loss of
    /// the log-probabilities against `labels`, and returns that loss.
    /// - Throws: `ModelError` for a wrongly shaped input or labels outside `0..<classes`.
    public func lossAndGradients(images: Tensor, labels: [Int32]) throws -> Float {
        let batch = try batchSize(of: images)
        try validate(labels: labels, batch: batch)
        images.withUnsafeBufferPointer { forward(images: $0.baseAddress!, batch: batch, training: true) }
        let loss = labels.withUnsafeBufferPointer {
            LossOp.nll(workspace.activations[layers.count], labels: $0.baseAddress!, batch: batch,
                       classes: outputSize, gradient: workspace.gradientOut)
        }
        zeroGradients()
        backward(batch: batch, inputGradient: false)
        return loss
    }

    /// One training step: gradients of the mean NLL loss on this batch, then `optimizer.step`.
    /// Returns the batch loss (before the step).
    public func trainStep(images: Tensor, labels: [Int32], optimizer: inout some Optimizer) throws -> Float {
        let loss = try lossAndGradients(images: images, labels: labels)
        step(&optimizer)
        return loss
    }

    /// Mean NLL loss and accuracy of the model (evaluation mode) on `count = labels.count` samples
    /// stored contiguously in `images` (`count × inputShape` values), in batches of `batchSize`.
    public func evaluate(images: [Float], labels: [Int32], batchSize: Int = 500) throws -> Evaluation {
        guard batchSize > 0 else { throw ModelError(.invalidArgument, "batch size must be positive, got \(batchSize)") }
        guard images.count == labels.count * sampleSizes[0] else {
            throw ModelError(.shapeMismatch, "\(labels.count) labels need \(labels.count * sampleSizes[0]) image values, got \(images.count)")
        }
        try validate(labels: labels, batch: labels.count)
        var lossSum: Double = 0
        var correct = 0
        images.withUnsafeBufferPointer { x in
            labels.withUnsafeBufferPointer { y in
                for start in stride(from: 0, to: labels.count, by: batchSize) {
                    let batch = min(batchSize, labels.count - start)
                    forward(images: x.baseAddress! + start * sampleSizes[0], batch: batch, training: false)
                    let out = workspace.activations[layers.count]
                    let loss = LossOp.nll(out, labels: y.baseAddress! + start, batch: batch, classes: outputSize)
                    lossSum += Double(loss) * Double(batch)
                    correct += LossOp.correctCount(out, labels: y.baseAddress! + start, batch: batch, classes: outputSize)
                }
            }
        }
        let n = max(labels.count, 1)
        return Evaluation(loss: Float(lossSum / Double(n)), accuracy: Float(correct) / Float(n), count: labels.count)
    }

    // MARK: Internals

    private var outputSize: Int { sampleSizes[layers.count] }

    private func layerEnd(_ index: Int) -> Int {
        index + 1 < layers.count ? layerOffsets[index + 1] : layout.count
    }

    private func batchSize(of input: Tensor) throws -> Int {
        guard input.rank == inputShape.count + 1, Array(input.shape.dropFirst()) == inputShape, input.shape[0] > 0 else {
            throw ModelError(.shapeMismatch, "expected input [batch] + \(inputShape) with batch ≥ 1, got \(input.shape)")
        }
        return input.shape[0]
    }

    private func validate(labels: [Int32], batch: Int) throws {
        guard labels.count == batch else {
            throw ModelError(.shapeMismatch, "expected \(batch) labels, got \(labels.count)")
        }
        if let bad = labels.first(where: { $0 < 0 || Int($0) >= outputSize }) {
            throw ModelError(.invalidLabel, "label \(bad) outside 0..<\(outputSize)")
        }
    }

    /// Forward pass over raw input; leaves every activation in the workspace.
    private func forward(images: UnsafePointer<Float>, batch: Int, training: Bool) {
        reserve(batch: batch)
        workspace.activations[0].update(from: images, count: batch * sampleSizes[0])
        parameters.withUnsafeBufferPointer { p in
            for (index, layer) in layers.enumerated() {
                layer.forward(buffers(index, batch: batch, parameters: p.baseAddress!), training: training)
            }
        }
        forwardBatch = batch
    }

    /// Backward pass from `workspace.gradientOut`; the input gradient ends in `gradientOut` when
    /// asked, otherwise propagation stops at the first layer with parameters.
    private func backward(batch: Int, inputGradient: Bool) {
        let last = inputGradient ? 0 : min(firstTrainable, layers.count - 1)
        parameters.withUnsafeBufferPointer { p in
            gradients.withUnsafeMutableBufferPointer { g in
                for index in (last..<layers.count).reversed() {
                    let wantsInput = index > last || inputGradient
                    layers[index].backward(buffers(index, batch: batch, parameters: p.baseAddress!),
                                           outputGradient: workspace.gradientOut,
                                           gradients: g.baseAddress! + layerOffsets[index],
                                           inputGradient: wantsInput ? workspace.gradientIn : nil)
                    if wantsInput { workspace.swapGradients() }
                }
            }
        }
    }

    private func buffers(_ index: Int, batch: Int, parameters: UnsafePointer<Float>) -> LayerBuffers {
        LayerBuffers(batch: batch, input: workspace.activations[index], output: workspace.activations[index + 1],
                     parameters: parameters + layerOffsets[index])
    }

    private func reserve(batch: Int) {
        guard batch > workspace.capacity else { return }
        workspace.allocate(batch: batch, sampleSizes: sampleSizes)
        for layer in layers { layer.reserve(batch: batch) }
    }
}

/// Activation and gradient buffers of a `Sequential`, for up to `capacity` samples.
private struct Workspace {
    var capacity = 0
    /// Input (index 0) and each layer's output.
    var activations: [UnsafeMutablePointer<Float>] = []
    /// Ping-pong gradient buffers, each as large as the largest activation.
    var gradientOut = UnsafeMutablePointer<Float>.allocate(capacity: 0)
    var gradientIn = UnsafeMutablePointer<Float>.allocate(capacity: 0)

    mutating func allocate(batch: Int, sampleSizes: [Int]) {
        release()
        capacity = batch
        activations = sampleSizes.map { size in
            let p = UnsafeMutablePointer<Float>.allocate(capacity: batch * size)
            p.initialize(repeating: 0, count: batch * size)
            return p
        }
        let largest = batch * (sampleSizes.max() ?? 0)
        gradientOut = .allocate(capacity: largest)
        gradientOut.initialize(repeating: 0, count: largest)
        gradientIn = .allocate(capacity: largest)
        gradientIn.initialize(repeating: 0, count: largest)
    }

    mutating func swapGradients() { swap(&gradientOut, &gradientIn) }

    func release() {
        activations.forEach { $0.deallocate() }
        gradientOut.deallocate()
        gradientIn.deallocate()
    }
}
