/// The help text for `--model` that several commands share (trainer, aggregator, fedmq run,
/// train and loadgen): one line for the option and the grammar of model descriptions for the
/// command's discussion, so the grammar is written once and reads the same everywhere. The
/// grammar is `TensorCore.ModelDescription`'s; CommandSupport does not link TensorCore, so the
/// text is kept in step by hand.
public enum ModelHelp {
    /// The start of every `--model` option's help, before its `[env: …, default: …]`.
    public static let option = "Model: cnn, mlp or a model description (grammar above)."

    /// The grammar of model descriptions, a paragraph for a command's discussion.
    public static let grammar = """
        Model descriptions (--model): the built-ins cnn and mlp, or comma-separated items (case-insensitive) on 28×28 greyscale input, with channel and feature counts inferred from the previous item: conv OUT K [stride S] [pad P] (convolution, OUT channels, K×K kernel); fc OUT (fully connected); pool K [stride S] (max pooling, stride defaults to K); relu; flatten; dropout P; log_softmax. The built-in cnn is "conv 10 5, pool 2, relu, conv 20 5, pool 2, relu, flatten, fc 50, relu, fc 10, log_softmax"; mlp is "flatten, fc 200, relu, fc 200, relu, fc 10, log_softmax".
        """
}
