"""FedMQ's federation (CNN on Fashion-MNIST, FedAvg) as a Flower app, for the end-to-end comparison."""
