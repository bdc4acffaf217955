"""Sentiment: train (torch), rebuild and export (ONNX), infer (onnxruntime + tokenizers), track frustration."""
