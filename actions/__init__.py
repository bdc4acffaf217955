"""Custom actions served by rasa-sdk (app venv): one module per topic, one class per behaviour a customer sees."""
