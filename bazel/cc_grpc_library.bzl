"""C++ protobuf and gRPC code generated with Debian's protoc and grpc_cpp_plugin.

Absolute paths: Bazel's action PATH is narrow, and the generated code must match the
system libprotobuf/libgrpc++ it links against, not a toolchain Bazel would download.
"""

PROTOC = "/usr/bin/protoc"
GRPC_CPP_PLUGIN = "/usr/bin/grpc_cpp_plugin"

def cc_grpc_library(name, srcs, proto_root, deps = [], visibility = None):
    """Generates .pb and .grpc.pb sources for `srcs` (paths under `proto_root`)."""
    outs = []
    for src in srcs:
        base = src[:-len(".proto")]
        outs += [base + ".pb.h", base + ".pb.cc", base + ".grpc.pb.h", base + ".grpc.pb.cc"]
    root = native.package_name()
    if proto_root != ".":
        root += "/" + proto_root
    native.genrule(
        name = name + "_codegen",
        srcs = srcs,
        outs = outs,
        cmd = " ".join([
            PROTOC,
            "--proto_path=" + root,
            "--proto_path=/usr/include",
            "--cpp_out=$(GENDIR)/" + native.package_name(),
            "--grpc_out=$(GENDIR)/" + native.package_name(),
            "--plugin=protoc-gen-grpc=" + GRPC_CPP_PLUGIN,
        ] + ["$(location %s)" % s for s in srcs]),
    )
    native.cc_library(
        name = name,
        srcs = [o for o in outs if o.endswith(".cc")],
        hdrs = [o for o in outs if o.endswith(".h")],
        includes = [proto_root],
        deps = deps + ["@system//:grpc", "@system//:protobuf"],
        visibility = visibility,
    )
