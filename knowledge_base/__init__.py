"""FAQ knowledge base: SQL store, multilingual embeddings, FAISS index, answer decisions and the review queue."""
