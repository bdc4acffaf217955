"""Input channels: Rasa's REST and socket.io channels with Kefu's input checks, and (later) WeChat."""
