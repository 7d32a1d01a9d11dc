"""`kernelwright serve`: the HTTP API, the web pages and the job runner of Kernelwright as a shared service."""
