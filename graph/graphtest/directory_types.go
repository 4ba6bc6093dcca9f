package graphtest

// The JSON shapes of the device-code flow and of Graph's directory
// resources, as far as the simulator serves them.

// wireDeviceCode is the device authorization endpoint's answer.
type wireDeviceCode struct {
	UserCode        string `json:"user_code"`
	DeviceCode      string `json:"device_code"`
	VerificationURI string `json:"verification_uri"`
	ExpiresIn       int    `json:"expires_in"`
	Interval        int    `json:"interval"`
	Message         string `json:"message"`
}

// wireUserToken is the token endpoint's answer to a redeemed device code.
type wireUserToken struct {
	TokenType    string `json:"token_type"`
	Scope        string `json:"scope"`
	ExpiresIn    int    `json:"expires_in"`
	ExtExpiresIn int    `json:"ext_expires_in"`
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	IDToken      string `json:"id_token"`
	ClientInfo   string `json:"client_info"`
}

// wireUserClaims is the payload of a delegated access token for Graph.
type wireUserClaims struct {
	Aud    string   `json:"aud"`
	Iss    string   `json:"iss"`
	Iat    int64    `json:"iat"`
	Nbf    int64    `json:"nbf"`
	Exp    int64    `json:"exp"`
	AppID  string   `json:"appid"`
	IDType string   `json:"idtyp"`
	OID    string   `json:"oid"`
	Scp    string   `json:"scp"`
	Sub    string   `json:"sub"`
	TID    string   `json:"tid"`
	UPN    string   `json:"upn"`
	Wids   []string `json:"wids,omitempty"`
	Ver    string   `json:"ver"`
}

// wireIDToken is the payload of the ID token a public client receives.
type wireIDToken struct {
	Aud               string `json:"aud"`
	Iss               string `json:"iss"`
	Iat               int64  `json:"iat"`
	Nbf               int64  `json:"nbf"`
	Exp               int64  `json:"exp"`
	Name              string `json:"name"`
	OID               string `json:"oid"`
	PreferredUsername string `json:"preferred_username"`
	Sub               string `json:"sub"`
	TID               string `json:"tid"`
	Ver               string `json:"ver"`
}

// wireList is a Graph collection.
type wireList[T any] struct {
	ODataContext string `json:"@odata.context"`
	Value        []T    `json:"value"`
}

// wireApplication is Graph's application resource (the properties served).
type wireApplication struct {
	ODataContext           string                       `json:"@odata.context,omitempty"`
	ID                     string                       `json:"id"`
	DeletedDateTime        *string                      `json:"deletedDateTime"`
	AppID                  string                       `json:"appId"`
	CreatedDateTime        string                       `json:"createdDateTime"`
	DisplayName            string                       `json:"displayName"`
	IdentifierURIs         []string                     `json:"identifierUris"`
	PublisherDomain        string                       `json:"publisherDomain"`
	SignInAudience         string                       `json:"signInAudience"`
	Tags                   []string                     `json:"tags"`
	PasswordCredentials    []wirePassword               `json:"passwordCredentials"`
	RequiredResourceAccess []wireRequiredResourceAccess `json:"requiredResourceAccess"`
}

// wireRequiredResourceAccess is one API's permissions an app asks for.
type wireRequiredResourceAccess struct {
	ResourceAppID  string               `json:"resourceAppId"`
	ResourceAccess []wireResourceAccess `json:"resourceAccess"`
}

type wireResourceAccess struct {
	ID   string `json:"id"`
	Type string `json:"type"`
}

// wirePassword is Graph's passwordCredential; SecretText only in addPassword's answer.
type wirePassword struct {
	ODataContext        string  `json:"@odata.context,omitempty"`
	CustomKeyIdentifier *string `json:"customKeyIdentifier"`
	DisplayName         string  `json:"displayName"`
	EndDateTime         string  `json:"endDateTime"`
	Hint                string  `json:"hint"`
	KeyID               string  `json:"keyId"`
	SecretText          *string `json:"secretText"`
	StartDateTime       string  `json:"startDateTime"`
}

// wireServicePrincipal is Graph's servicePrincipal resource.
type wireServicePrincipal struct {
	ODataContext           string        `json:"@odata.context,omitempty"`
	ID                     string        `json:"id"`
	DeletedDateTime        *string       `json:"deletedDateTime"`
	AccountEnabled         bool          `json:"accountEnabled"`
	AppDisplayName         string        `json:"appDisplayName"`
	AppID                  string        `json:"appId"`
	AppOwnerOrganizationID string        `json:"appOwnerOrganizationId"`
	DisplayName            string        `json:"displayName"`
	ServicePrincipalNames  []string      `json:"servicePrincipalNames"`
	ServicePrincipalType   string        `json:"servicePrincipalType"`
	Tags                   []string      `json:"tags"`
	AppRoles               []wireAppRole `json:"appRoles"`
	OAuth2PermissionScopes []wireScope   `json:"oauth2PermissionScopes"`
}

// wireAppRole is an application permission a service principal publishes.
type wireAppRole struct {
	AllowedMemberTypes []string `json:"allowedMemberTypes"`
	Description        string   `json:"description"`
	DisplayName        string   `json:"displayName"`
	ID                 string   `json:"id"`
	IsEnabled          bool     `json:"isEnabled"`
	Origin             string   `json:"origin"`
	Value              string   `json:"value"`
}

// wireScope is a delegated permission a service principal publishes.
type wireScope struct {
	AdminConsentDescription string `json:"adminConsentDescription"`
	AdminConsentDisplayName string `json:"adminConsentDisplayName"`
	ID                      string `json:"id"`
	IsEnabled               bool   `json:"isEnabled"`
	Type                    string `json:"type"`
	Value                   string `json:"value"`
}

// wireAssignment is Graph's appRoleAssignment.
type wireAssignment struct {
	ODataContext         string  `json:"@odata.context,omitempty"`
	ID                   string  `json:"id"`
	DeletedDateTime      *string `json:"deletedDateTime"`
	AppRoleID            string  `json:"appRoleId"`
	CreatedDateTime      string  `json:"createdDateTime"`
	PrincipalDisplayName string  `json:"principalDisplayName"`
	PrincipalID          string  `json:"principalId"`
	PrincipalType        string  `json:"principalType"`
	ResourceDisplayName  string  `json:"resourceDisplayName"`
	ResourceID           string  `json:"resourceId"`
}
