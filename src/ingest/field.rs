//! The columns arrears understands in each kind of table, with their built-in English and Hebrew
//! header aliases. Header text is compared after [`header_key`] folds case and drops spaces,
//! dots, underscores, quotes and other punctuation, so `Invoice No.`, `invoice_no` and
//! `INVOICE NO` are one alias.

use std::fmt;

/// Which kind of table a file holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TableKind {
    Invoices,
    Payments,
    Clients,
}

impl TableKind {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            TableKind::Invoices => "invoices",
            TableKind::Payments => "payments",
            TableKind::Clients => "clients",
        }
    }

    /// The fields of this table, required ones first.
    #[must_use]
    pub fn fields(self) -> &'static [Field] {
        use Field::*;
        match self {
            TableKind::Invoices => &[
                Number,
                ClientId,
                ClientName,
                InvoiceDate,
                Amount,
                DueDate,
                Currency,
                Email,
                DocType,
                Reference,
                Disputed,
                AmountPaid,
            ],
            TableKind::Payments => &[
                PaymentDate,
                PaymentAmount,
                PaymentId,
                PaymentClientId,
                Payer,
                Memo,
                Method,
                PaymentCurrency,
                Withheld,
            ],
            TableKind::Clients => &[
                Id,
                Name,
                Type,
                ClientEmail,
                Phone,
                Address,
                Language,
                Terms,
                Contact,
                Collector,
                FlagDisputed,
                DoNotRemind,
                FinancialTrouble,
                Complaints,
                LastContact,
                PromisedDate,
                Notes,
                Withholding,
            ],
        }
    }
}

impl fmt::Display for TableKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One column arrears understands. The config names it by [`Field::key`] under
/// `[invoices.columns]`, `[payments.columns]` or `[clients.columns]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Field {
    // invoices
    Number,
    ClientId,
    ClientName,
    InvoiceDate,
    Amount,
    DueDate,
    Currency,
    Email,
    DocType,
    Reference,
    Disputed,
    AmountPaid,
    // payments
    PaymentDate,
    PaymentAmount,
    PaymentId,
    PaymentClientId,
    Payer,
    Memo,
    Method,
    PaymentCurrency,
    /// Tax withheld at source from this payment (a receipt of the unified file, a bank export
    /// that shows it); SPEC section 11.
    Withheld,
    // clients
    Id,
    Name,
    Type,
    ClientEmail,
    Phone,
    Address,
    Language,
    Terms,
    Contact,
    Collector,
    FlagDisputed,
    DoNotRemind,
    FinancialTrouble,
    Complaints,
    LastContact,
    PromisedDate,
    Notes,
    /// The client's withholding-tax rate at source, in percent (SPEC section 11).
    Withholding,
}

impl Field {
    /// The name of the field in `arrears.toml` (`[invoices.columns] number = "Doc No"`).
    #[must_use]
    pub fn key(self) -> &'static str {
        use Field::*;
        match self {
            Number => "number",
            ClientId | PaymentClientId => "client_id",
            ClientName => "client_name",
            InvoiceDate | PaymentDate => "date",
            Amount | PaymentAmount => "amount",
            DueDate => "due_date",
            Currency | PaymentCurrency => "currency",
            Email | ClientEmail => "email",
            DocType => "type",
            Reference => "reference",
            Disputed | FlagDisputed => "disputed",
            AmountPaid => "paid",
            PaymentId => "payment_id",
            Payer => "payer",
            Memo => "memo",
            Method => "method",
            Id => "id",
            Name => "name",
            Type => "type",
            Phone => "phone",
            Address => "address",
            Language => "language",
            Terms => "terms",
            Contact => "contact",
            Collector => "collector",
            DoNotRemind => "do_not_remind",
            FinancialTrouble => "financial_trouble",
            Complaints => "complaints",
            LastContact => "last_contact",
            PromisedDate => "promised_date",
            Notes => "notes",
            Withheld => "withheld",
            Withholding => "withholding",
        }
    }

    /// Built-in header aliases, English then Hebrew. The first is the canonical name.
    #[must_use]
    pub fn aliases(self) -> &'static [&'static str] {
        use Field::*;
        match self {
            Number => &[
                "Invoice No",
                "Invoice",
                "Invoice Number",
                "Invoice #",
                "Inv No",
                "Doc Number",
                "Doc No",
                "Document Number",
                "Document No",
                "Document",
                "Number",
                "No",
                "invoiceNumber",
                "Reference Number",
                "מספר חשבונית",
                "מס חשבונית",
                "חשבונית",
                "מספר מסמך",
                "מס מסמך",
                "אסמכתא",
            ],
            ClientId | PaymentClientId | Id => &[
                "Client ID",
                "Customer ID",
                "Client No",
                "Customer No",
                "Client Number",
                "Customer Number",
                "Account",
                "Account No",
                "Client Code",
                "Customer Code",
                "customerID",
                "ID",
                "מספר לקוח",
                "מס לקוח",
                "קוד לקוח",
                "חשבון לקוח",
                "ח.פ",
                "מזהה לקוח",
            ],
            ClientName | Name => &[
                "Client",
                "Client Name",
                "Customer",
                "Customer Name",
                "Name",
                "Company",
                "Account Name",
                "Bill To",
                "לקוח",
                "שם לקוח",
                "שם הלקוח",
                "שם",
                "חברה",
            ],
            InvoiceDate => &[
                "Invoice Date",
                "Date",
                "Doc Date",
                "Document Date",
                "Issue Date",
                "Issued",
                "InvoiceDate",
                "תאריך חשבונית",
                "תאריך",
                "תאריך מסמך",
                "תאריך הפקה",
            ],
            Amount => &[
                "Amount",
                "Total",
                "Invoice Amount",
                "Total Amount",
                "Amount Due",
                "Gross",
                "Total incl VAT",
                "InvoiceAmount",
                "Sum",
                "סכום",
                "סה\"כ",
                "סכום כולל מע\"מ",
                "סכום חשבונית",
                "סך הכל",
                "סהכ",
            ],
            DueDate => &[
                "Due Date",
                "Due",
                "Payment Due",
                "Due On",
                "DueDate",
                "תאריך פירעון",
                "תאריך לתשלום",
                "מועד תשלום",
                "לתשלום עד",
            ],
            Currency | PaymentCurrency => &["Currency", "Curr", "CCY", "מטבע"],
            Email | ClientEmail => &[
                "Email",
                "E-mail",
                "Mail",
                "Email Address",
                "דוא\"ל",
                "אימייל",
                "מייל",
                "דואר אלקטרוני",
            ],
            DocType | Type => &[
                "Type",
                "Document Type",
                "Doc Type",
                "Client Type",
                "Customer Type",
                "סוג",
                "סוג מסמך",
                "סוג לקוח",
            ],
            Reference => &[
                "Reference",
                "Ref",
                "Applies To",
                "Original Invoice",
                "Against Invoice",
                "חשבונית מקור",
                "בגין חשבונית",
                "מתייחס לחשבונית",
            ],
            Disputed | FlagDisputed => &["Disputed", "Dispute", "In Dispute", "במחלוקת", "מחלוקת"],
            AmountPaid => &[
                "Paid",
                "Amount Paid",
                "Paid Amount",
                "Paid To Date",
                "שולם",
                "סכום ששולם",
            ],
            PaymentDate => &[
                "Date",
                "Payment Date",
                "Value Date",
                "Transaction Date",
                "Posting Date",
                "Received",
                "Booking Date",
                "תאריך",
                "תאריך תשלום",
                "תאריך ערך",
                "תאריך פעולה",
                "תאריך קבלה",
            ],
            PaymentAmount => &[
                "Amount",
                "Credit",
                "Paid In",
                "Payment Amount",
                "Received Amount",
                "Deposit",
                "Sum",
                "סכום",
                "זכות",
                "סכום תשלום",
                "סכום התקבול",
                "בזכות",
            ],
            PaymentId => &[
                "Payment ID",
                "Transaction ID",
                "Receipt No",
                "Receipt",
                "Receipt Number",
                "Reference No",
                "Txn ID",
                "ID",
                "מספר קבלה",
                "קבלה",
                "מספר תנועה",
                "אסמכתא",
            ],
            Payer => &[
                "Payer",
                "Payer Name",
                "From",
                "Remitter",
                "Counterparty",
                "Name",
                "Client",
                "Customer",
                "משלם",
                "שם המשלם",
                "שם משלם",
                "לקוח",
                "שם",
            ],
            Memo => &[
                "Memo",
                "Reference",
                "Description",
                "Details",
                "Remarks",
                "Narrative",
                "Payment Reference",
                "Ref",
                "פרטים",
                "תיאור",
                "הערות",
                "אסמכתא",
                "תיאור פעולה",
            ],
            Method => &[
                "Method",
                "Payment Method",
                "Type",
                "Channel",
                "אמצעי תשלום",
                "סוג תשלום",
            ],
            Phone => &[
                "Phone",
                "Telephone",
                "Tel",
                "Mobile",
                "Phone Number",
                "טלפון",
                "נייד",
                "טל",
            ],
            Address => &["Address", "Billing Address", "Street", "כתובת"],
            Language => &["Language", "Lang", "Locale", "שפה"],
            Terms => &[
                "Payment Terms",
                "Terms",
                "Credit Terms",
                "תנאי תשלום",
                "תנאי אשראי",
            ],
            Contact => &["Contact", "Contact Person", "Attention", "Attn", "איש קשר"],
            Collector => &[
                "Collector",
                "Account Manager",
                "Owner",
                "Handled By",
                "גובה",
                "אחראי גבייה",
                "אחראי",
            ],
            DoNotRemind => &[
                "Do Not Remind",
                "No Reminders",
                "Do Not Contact",
                "לא לשלוח תזכורות",
                "ללא תזכורות",
            ],
            FinancialTrouble => &[
                "Financial Trouble",
                "Financial Difficulty",
                "Insolvency",
                "קשיים כלכליים",
                "קשיים פיננסיים",
            ],
            Complaints => &[
                "Complaints",
                "Complaint",
                "Has Complaints",
                "תלונות",
                "תלונה",
            ],
            LastContact => &[
                "Last Contact",
                "Last Contact Date",
                "Last Contacted",
                "קשר אחרון",
                "תאריך קשר אחרון",
            ],
            PromisedDate => &[
                "Promised Date",
                "Promise To Pay",
                "Promised Payment Date",
                "Promised",
                "הבטחת תשלום",
                "תאריך הבטחה",
                "הבטיח לשלם עד",
            ],
            Notes => &["Notes", "Note", "Comments", "הערות", "הערה"],
            Withheld => &[
                "Withheld",
                "Tax Withheld",
                "Withholding Tax",
                "Withholding Amount",
                "WHT",
                "ניכוי במקור",
                "סכום ניכוי במקור",
                "מס שנוכה במקור",
                "ניכוי מס במקור",
            ],
            Withholding => &[
                "Withholding",
                "Withholding Rate",
                "Withholding %",
                "WHT Rate",
                "שיעור ניכוי במקור",
                "אחוז ניכוי במקור",
                "ניכוי במקור",
                "שיעור ניכוי",
            ],
        }
    }

    /// Whether a table of `kind` cannot be read without this column. `client` on invoices is
    /// satisfied by either an id or a name, and `clients` by either `id` or `name`; those
    /// either-or rules are checked by the caller.
    #[must_use]
    pub fn is_required(self) -> bool {
        use Field::*;
        matches!(
            self,
            Number | InvoiceDate | Amount | PaymentDate | PaymentAmount
        )
    }
}

/// Folds a header for comparison: lower case, without spaces, dots, underscores, quotes and
/// other punctuation (`"Invoice No."` -> `"invoiceno"`, `סה"כ` -> `סהכ`).
#[must_use]
pub fn header_key(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}
