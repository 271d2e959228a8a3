import SafeTensorsFormat

/// Export and import of a model's parameters by PyTorch state_dict name (for safetensors files).
extension Sequential {
    /// Every parameter as a named tensor, in `layout` order (e.g. `conv1.weight` `[10, 1, 5, 5]`).
    public func namedParameters() -> [NamedTensor] {
        zip(layout.parameters, layout.offsets).map { spec, offset in
            NamedTensor(name: spec.name, tensor: Tensor(shape: spec.shape, storage: Array(parameters[offset..<(offset + spec.count)])))
        }
    }

    /// Replaces every parameter from `tensors` matched by name (order does not matter; extra
    /// tensors whose names are not parameters, e.g. `input` in a fixture file, are ignored).
    /// - Throws: `ModelError.missingParameter` or `.shapeMismatch`; the model is unchanged on error.
    public func load(named tensors: [NamedTensor]) throws {
        var byName: [String: Tensor] = [:]
        for t in tensors { byName[t.name] = t.tensor }
        var flat = [Float]()
        flat.reserveCapacity(layout.count)
        for spec in layout.parameters {
            guard let tensor = byName[spec.name] else {
                throw ModelError(.missingParameter, "no tensor named '\(spec.name)' (expected shape \(spec.shape))")
            }
            guard tensor.shape == spec.shape else {
                throw ModelError(.shapeMismatch, "'\(spec.name)' has shape \(tensor.shape), the model needs \(spec.shape)")
            }
            flat.append(contentsOf: tensor.storage)
        }
        try load(flat: flat)
    }

    /// Mean NLL loss and accuracy on every sample of `dataset`, in batches of `batchSize`.
    public func evaluate(_ dataset: Dataset, batchSize: Int = 500) throws -> Evaluation {
        try evaluate(images: dataset.images, labels: dataset.labels, batchSize: batchSize)
    }
}
