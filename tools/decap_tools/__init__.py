"""Python tooling for decap: reference models, ONNX export, bundles and fixtures.

Modules: ``ort`` (ONNX Runtime Java bridge), ``decoder_model`` (reference DeCap GPT-2 decoder), ``search``
(reference greedy / beam decoding), ``bundle`` (model bundle manifest), ``clip_model`` (CLIP towers, owned by the
CLIP tools).
"""
