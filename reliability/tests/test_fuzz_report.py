from reliability.fuzz import failure_lines

OUTPUT = """
=================================== FAILURES ===================================
___________________ GET /payments/payment-groups/my_groups/ ____________________
1. Test Case ID: A8s1T0

- ST108 Response violates schema

    "admin" is a required property

_______________ GET /payments/payment-groups/{id}/members/ ________________
1. Test Case ID: B1

- ST101 Server error

    [500] Internal Server Error:

============== 2 failures in 7.69s ==============
"""


def test_each_failing_operation_is_named_with_its_check_and_message():
    assert failure_lines(OUTPUT) == [
        'GET /payments/payment-groups/my_groups/ -> ST108 Response violates schema: "admin" is a required property',
        "GET /payments/payment-groups/{id}/members/ -> ST101 Server error: [500] Internal Server Error:",
    ]


def test_no_failure_section_means_no_violation():
    assert failure_lines("====== 120 passed in 9.0s ======") == []
