"""The flow of identity-client/examples/provision.rs from Python: create a
user, find it by userName, deactivate it, page through a group's members.

Stubs are generated from proto/ (grpcio-tools), e.g. into gen/:

    python -m grpc_tools.protoc -I proto --python_out=gen --grpc_python_out=gen proto/identity/v1/*.proto
    PYTHONPATH=gen IDENTITY_TOKEN=... python identity-client/examples/provision.py

IDENTITY_CORE_ADDR (default 127.0.0.1:50051) and IDENTITY_TOKEN (a
tenant's bearer token) say where and as whom.
"""

import os
import uuid

import grpc
from google.protobuf import field_mask_pb2
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from identity.v1 import common_pb2, groups_pb2, groups_pb2_grpc, users_pb2, users_pb2_grpc


def reason(err: grpc.RpcError) -> str:
    """The ErrorInfo reason of a failed call (every failure carries one)."""
    status = rpc_status.from_call(err)
    for detail in status.details if status else []:
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
            return info.reason
    return ""


def main() -> None:
    addr = os.environ.get("IDENTITY_CORE_ADDR", "127.0.0.1:50051")
    auth = [("authorization", "Bearer " + os.environ["IDENTITY_TOKEN"])]
    channel = grpc.insecure_channel(addr)
    users = users_pb2_grpc.UserServiceStub(channel)
    groups = groups_pb2_grpc.GroupServiceStub(channel)
    suffix = uuid.uuid4().hex

    # Create, with a request id: a retry with the same id returns this user.
    user_name = f"ada.{suffix}@example.com"
    create = users_pb2.CreateUserRequest(user=users_pb2.User(user_name=user_name), request_id=str(uuid.uuid4()))
    ada = users.CreateUser(create, metadata=auth, timeout=10)
    assert users.CreateUser(create, metadata=auth, timeout=10).id == ada.id
    print(f"created {ada.user_name} ({ada.id})")

    # Find by userName (case-insensitive).
    by_name = common_pb2.Filter(
        compare=common_pb2.Comparison(
            attribute="userName",
            op=common_pb2.COMPARE_OP_EQ,
            value=common_pb2.FilterValue(string_value=user_name.upper()),
        )
    )
    found = users.ListUsers(users_pb2.ListUsersRequest(filter=by_name, page_size=1), metadata=auth, timeout=10)
    assert [u.id for u in found.users] == [ada.id], found
    print(f"found {ada.id} by userName")

    # Deactivate: only the masked field changes, and only at this version.
    version = found.users[0].meta.version
    update = users_pb2.UpdateUserRequest(
        id=ada.id,
        user=users_pb2.User(active=False),
        update_mask=field_mask_pb2.FieldMask(paths=["active"]),
        expected_version=version,
    )
    off = users.UpdateUser(update, metadata=auth, timeout=10)
    assert off.HasField("active") and not off.active
    print("deactivated: active =", off.active)
    try:
        users.UpdateUser(update, metadata=auth, timeout=10)
        raise AssertionError("a stale version must be refused")
    except grpc.RpcError as err:
        assert err.code() == grpc.StatusCode.ABORTED, err
        assert reason(err) == "ERROR_REASON_VERSION_MISMATCH", reason(err)
        print("stale update refused:", reason(err))

    # A group of five, paged two members at a time with page tokens.
    group = groups.CreateGroup(
        groups_pb2.CreateGroupRequest(group=groups_pb2.Group(display_name=f"team-{suffix}"), request_id=str(uuid.uuid4())),
        metadata=auth,
        timeout=10,
    )
    for i in range(5):
        u = users.CreateUser(
            users_pb2.CreateUserRequest(user=users_pb2.User(user_name=f"m{i}.{suffix}@example.com")),
            metadata=auth,
            timeout=10,
        )
        member = groups_pb2.Member(value=u.id, type=groups_pb2.MEMBER_TYPE_USER)
        groups.CreateMembership(
            groups_pb2.CreateMembershipRequest(group_id=group.id, member=member), metadata=auth, timeout=10
        )
    members, token, pages = [], "", 0
    while True:
        page = groups.ListGroupMembers(
            groups_pb2.ListGroupMembersRequest(group_id=group.id, page_size=2, page_token=token),
            metadata=auth,
            timeout=10,
        )
        members.extend(page.members)
        pages += 1
        token = page.next_page_token
        if not token:
            break
    for m in members:
        print("member", m.value, m.display)
    assert len(members) == 5 and pages == 3, (len(members), pages)
    print(f"paged {len(members)} members of {group.display_name} in {pages} pages")


if __name__ == "__main__":
    main()
